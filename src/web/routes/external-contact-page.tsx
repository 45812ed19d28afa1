import { useTranslation } from "react-i18next";
import { NavLink, Outlet } from "react-router";

/**
 * "Add External Contacts": one tab per kind of contact. LINE users are added by inviting them
 * (they add the member on LINE); anyone else is entered by hand.
 */
export function ExternalContactPage() {
  const { t } = useTranslation();
  return (
    <div className="page">
      <h1>{t("invitations.externalTitle")}</h1>
      <nav className="tabs" aria-label={t("invitations.kindLabel")}>
        <NavLink to="/contacts/new/line" className="tab">
          {t("invitations.lineUser")}
        </NavLink>
        <NavLink to="/contacts/new/manual" className="tab">
          {t("contactsInterop.manualTab")}
        </NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
