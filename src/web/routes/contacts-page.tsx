import { useTranslation } from "react-i18next";
import { NewContactMenu } from "../features/invitations/new-contact-menu.tsx";
import { LineAvailability } from "../features/line/line-availability.tsx";

export function ContactsPage() {
  const { t } = useTranslation();
  return (
    <div className="page">
      <div className="page-header">
        <h1>{t("nav.contacts")}</h1>
        <NewContactMenu />
      </div>
      <LineAvailability emptyText={t("line.emptyContacts")} listLabel={t("line.lineContacts")} />
    </div>
  );
}
