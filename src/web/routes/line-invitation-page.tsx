import { useTranslation } from "react-i18next";
import { InvitationPanel } from "../features/invitations/invitation-panel.tsx";

export function LineInvitationPage() {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="invitation-title">
      <h2 id="invitation-title">{t("invitations.title")}</h2>
      <InvitationPanel />
    </section>
  );
}
