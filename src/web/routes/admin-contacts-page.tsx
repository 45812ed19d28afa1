import { useTranslation } from "react-i18next";
import { Outlet, useParams } from "react-router";
import { AdminContactList } from "../features/admin/admin-contact-list.tsx";

/**
 * Admin → Contacts: the company's contacts beside the selected one on PC; on phones one at a time,
 * the list or the contact as its own view (styles.css hides the other column by `data-contact-open`).
 */
export function AdminContactsPage() {
  const { contactId } = useParams();
  return (
    <div className="contacts-layout admin-contacts-layout" data-contact-open={contactId ? "true" : "false"}>
      <div className="contacts-list-column">
        <AdminContactList />
      </div>
      <div className="contacts-detail-column">
        <Outlet />
      </div>
    </div>
  );
}

export function NoAdminContactSelected() {
  const { t } = useTranslation();
  return <p className="hint no-room">{t("adminContacts.selectContact")}</p>;
}
