import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Member } from "../../../shared/directory.ts";
import type { LineChannel } from "../../../shared/line.ts";
import { useVerifyLineChannel } from "../../api/line-admin.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { CopyButton } from "../invitations/copy-button.tsx";
import { LineChannelForm } from "./line-channel-form.tsx";

/**
 * One connected channel: what it is, the webhook URL to paste into the LINE console, Verify,
 * and its edit form. Secrets are never shown: only whether each one is stored.
 */
export function LineChannelCard({ channel, members }: { channel: LineChannel; members: Member[] | undefined }) {
  const { t } = useTranslation();
  const toast = useToast();
  const verify = useVerifyLineChannel();
  const [editing, setEditing] = useState(false);
  const titleId = `line-channel-${channel.id}`;
  const member = channel.dedicatedMemberId ? members?.find((m) => m.id === channel.dedicatedMemberId) : undefined;
  const title = channel.botName ?? channel.basicId ?? t("adminLine.unnamed", { channelId: channel.channelId });

  return (
    <li className="card line-channel" aria-labelledby={titleId}>
      <h3 id={titleId}>{title}</h3>
      <dl className="line-channel-facts">
        <dt>{t("adminLine.basicId")}</dt>
        <dd>{channel.basicId ?? t("adminLine.notSet")}</dd>
        <dt>{t("adminLine.channelId")}</dt>
        <dd>{channel.channelId}</dd>
        <dt>{t("adminLine.modeLabel")}</dt>
        <dd>
          {t(`adminLine.mode.${channel.mode}`)}
          {channel.mode === "dedicated" && ` — ${member?.displayName ?? t("adminLine.unknownMember")}`}
        </dd>
        <dt>{t("adminLine.credentials")}</dt>
        <dd>
          {channel.tokenSource === "static" ? t("adminLine.tokenStatic") : t("adminLine.tokenIssued")}
          {channel.loginChannelId && ` · ${t("adminLine.loginLinked", { channelId: channel.loginChannelId })}`}
        </dd>
      </dl>

      <div className="line-webhook">
        <label className="field">
          <span>{t("adminLine.webhookUrl")}</span>
          <input type="text" readOnly value={channel.webhookUrl} onFocus={(e) => e.target.select()} />
        </label>
        <CopyButton text={channel.webhookUrl} label={t("adminLine.copyWebhook")} />
        <p className="hint">{t("adminLine.webhookHelp")}</p>
      </div>

      <div className="line-verify">
        <button
          type="button"
          className="button button-primary"
          disabled={verify.isPending}
          aria-busy={verify.isPending}
          onClick={() => verify.mutate(channel.id)}
        >
          {verify.isPending ? t("adminLine.verifying") : t("adminLine.verify")}
        </button>
        <div aria-live="polite">
          {verify.isSuccess && (
            <p className="success">
              {t("adminLine.verified", { name: verify.data.bot.displayName, basicId: verify.data.bot.basicId })}
            </p>
          )}
          {verify.isError && (
            <div className="line-verify-failed">
              <strong>{t("adminLine.verifyFailed")}</strong>
              <InlineProblem error={verify.error} />
            </div>
          )}
        </div>
      </div>

      {editing ? (
        <section className="nested" aria-label={t("adminLine.form.editTitle")}>
          <LineChannelForm
            channel={channel}
            onDone={() => {
              setEditing(false);
              // A changed credential makes the last Verify result stale.
              verify.reset();
              toast(t("adminLine.saved"));
            }}
          />
          <button type="button" className="button button-quiet" onClick={() => setEditing(false)}>
            {t("adminLine.cancel")}
          </button>
        </section>
      ) : (
        <button type="button" className="button" onClick={() => setEditing(true)}>
          {t("adminLine.edit")}
        </button>
      )}
    </li>
  );
}
