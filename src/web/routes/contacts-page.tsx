import { useTranslation } from "react-i18next";
import { Link, Outlet, useParams } from "react-router";
import { ContactList } from "../features/contacts/contact-list.tsx";
import { NewContactMenu } from "../features/invitations/new-contact-menu.tsx";
import { LineAvailability } from "../features/line/line-availability.tsx";
import { useSession } from "../features/session/session-context.tsx";

/**
 * External contacts: the list beside the open contact on PC; on phones one at a time, the list
 * or the contact as its own page (styles.css hides the other column by `data-contact-open`).
 */
export function ContactsPage() {
  const { t } = useTranslation();
  const { lineAccess } = useSession();
  const { contactId } = useParams();
  return (
    <div className="contacts-layout" data-contact-open={contactId ? "true" : "false"}>
      <div className="contacts-list-column">
        <div className="page-header">
          <h1>{t("nav.contacts")}</h1>
          <div className="page-header-actions">
            <Link to="/contacts/trash" className="button button-quiet">
              {t("contacts.trash")}
            </Link>
            <NewContactMenu />
          </div>
        </div>
        {!lineAccess.allowed && <LineAvailability emptyText={t("line.emptyContacts")} listLabel={t("line.lineContacts")} />}
        <ContactList />
      </div>
      <div className="contacts-detail-column">
        <Outlet />
      </div>
    </div>
  );
}

export function NoContactSelected() {
  const { t } = useTranslation();
  return <p className="hint no-room">{t("contacts.selectContact")}</p>;
}
