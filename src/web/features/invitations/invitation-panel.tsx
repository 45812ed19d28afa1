import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Locale } from "../../../shared/invitations.ts";
import { isProblem } from "../../api/client.ts";
import { useInvitation } from "../../api/invitations.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { currentLanguage, LANGUAGES } from "../../i18n/i18n.ts";
import { LineAvailability } from "../line/line-availability.tsx";
import { CopyButton } from "./copy-button.tsx";
import { EmailInvitationForm } from "./email-invitation-form.tsx";
import { ResetLink } from "./reset-link.tsx";

const withQuery = (url: string, params: Record<string, string>) => `${url}${url.includes("?") ? "&" : "?"}${new URLSearchParams(params)}`;

/** "Add a LINE user": every way a LINE user can reach the member, in one panel. */
export function InvitationPanel() {
  const { t } = useTranslation();
  const localeId = useId();
  const [locale, setLocale] = useState<Locale>(currentLanguage());
  const invitation = useInvitation(locale);

  if (invitation.isPending) return <Loading />;
  if (invitation.isError) {
    if (isProblem(invitation.error, "plan_required") || isProblem(invitation.error, "line_not_allowed")) {
      return <LineAvailability emptyText={t("line.emptyRooms")} listLabel={t("line.lineRooms")} />;
    }
    return <LoadError error={invitation.error} onRetry={() => void invitation.refetch()} />;
  }
  const inv = invitation.data;
  // The images change when the link is reset: the creation time keeps browsers from showing the old ones.
  const version = { v: inv.createdAt };
  return (
    <div className="invitation">
      <p>{t("invitations.intro")}</p>
      <label className="field" htmlFor={localeId}>
        <span>{t("invitations.language")}</span>
        <select id={localeId} value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
          {LANGUAGES.map((l) => (
            <option key={l.code} value={l.code} lang={l.code}>
              {l.label}
            </option>
          ))}
        </select>
      </label>

      <div className="invitation-grid">
        <section className="card" aria-labelledby="inv-qr">
          <h2 id="inv-qr">{t("invitations.qrTitle")}</h2>
          <img className="invitation-qr" src={withQuery(inv.qrUrl, version)} alt={t("invitations.qrAlt")} width={200} height={200} />
          <a className="button" href={withQuery(inv.qrUrl, { ...version, download: "1" })} download>
            {t("invitations.saveQr")}
          </a>
        </section>
        <section className="card" aria-labelledby="inv-card">
          <h2 id="inv-card">{t("invitations.cardTitle")}</h2>
          <img className="invitation-card" src={withQuery(inv.cardUrl, { locale, ...version })} alt={t("invitations.cardAlt")} />
          <a className="button" href={withQuery(inv.cardUrl, { locale, ...version, download: "1" })} download>
            {t("invitations.saveCard")}
          </a>
        </section>
      </div>

      <section className="card stack" aria-labelledby="inv-link">
        <h2 id="inv-link">{t("invitations.linkTitle")}</h2>
        <p className="invitation-url">{inv.url}</p>
        <CopyButton text={inv.copyText} label={t("invitations.copyLink")} primary />
      </section>

      <section className="card stack" aria-labelledby="inv-id">
        <h2 id="inv-id">{t("invitations.messageIdTitle")}</h2>
        <p className="message-id">{inv.messageId}</p>
        <p className="hint">{t("invitations.messageIdHelp")}</p>
        <CopyButton text={inv.messageId} label={t("invitations.copyMessageId")} />
      </section>

      {/* E-mail invitations are a PC feature (DESIGN: "PC Send Email"). */}
      <section className="card desktop-only" aria-labelledby="inv-email">
        <h2 id="inv-email">{t("invitations.emailTitle")}</h2>
        <EmailInvitationForm locale={locale} />
      </section>

      <section className="card stack" aria-labelledby="inv-reset">
        <h2 id="inv-reset">{t("invitations.resetTitle")}</h2>
        <ResetLink locale={locale} />
      </section>
    </div>
  );
}
