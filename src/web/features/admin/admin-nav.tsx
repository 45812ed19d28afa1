import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";

const SECTIONS = [
  { to: "/admin", label: "adminContacts.navCompany", end: true },
  { to: "/admin/contacts", label: "adminContacts.navContacts", end: false },
  { to: "/admin/contact-settings", label: "adminContacts.navSettings", end: false },
  { to: "/admin/line", label: "adminLine.nav", end: false },
  { to: "/admin/audit", label: "adminContacts.navAudit", end: false },
] as const;

/** The admin area's sections; rendered only for administrators (admin-page.tsx gates first). */
export function AdminNav() {
  const { t } = useTranslation();
  return (
    <nav className="tabs admin-tabs" aria-label={t("adminContacts.navLabel")}>
      {SECTIONS.map((s) => (
        // NavLink marks the current section with aria-current="page"; `end` keeps "/admin" from matching its children.
        <NavLink key={s.to} to={s.to} end={s.end} className="tab">
          {t(s.label)}
        </NavLink>
      ))}
    </nav>
  );
}
