import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

/**
 * Contacts' "New" menu (PC) and "+" (mobile): one disclosure button whose list leads to adding
 * an external contact. Escape and a click elsewhere close it.
 */
export function NewContactMenu() {
  const { t } = useTranslation();
  const menuId = useId();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", close);
    document.addEventListener("pointerdown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("pointerdown", close);
    };
  }, [open]);
  return (
    <div className="menu" ref={root}>
      <button type="button" className="button button-primary" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen((o) => !o)}>
        <span className="desktop-only">{t("invitations.newMenu")}</span>
        <span className="mobile-only" aria-hidden="true">
          +
        </span>
        <span className="mobile-only visually-hidden">{t("invitations.newMenu")}</span>
      </button>
      {open && (
        <ul className="menu-list" id={menuId}>
          <li>
            <Link to="/contacts/new" className="menu-item">
              <span className="desktop-only">{t("invitations.externalContact")}</span>
              <span className="mobile-only">{t("invitations.addExternalContacts")}</span>
            </Link>
          </li>
        </ul>
      )}
    </div>
  );
}
