import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useMembers } from "../../api/directory.ts";
import { useLineChannels } from "../../api/line-admin.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { LineChannelCard } from "./line-channel-card.tsx";
import { LineChannelForm } from "./line-channel-form.tsx";

const LINE_CONSOLE = "https://developers.line.biz/console/";

/** Admin → LINE channels: the company's connected channels and "Connect a channel". */
export function LineChannelsSection() {
  const { t } = useTranslation();
  const toast = useToast();
  const channels = useLineChannels();
  const members = useMembers();
  const [connecting, setConnecting] = useState(false);

  return (
    <section className="card line-channels" aria-labelledby="line-channels-title">
      <div className="page-header">
        <h2 id="line-channels-title">{t("adminLine.title")}</h2>
        {!connecting && (
          <button type="button" className="button button-primary" onClick={() => setConnecting(true)}>
            {t("adminLine.connect")}
          </button>
        )}
      </div>
      <p className="hint">{t("adminLine.help")}</p>

      {connecting && (
        <section className="nested" aria-label={t("adminLine.form.createTitle")}>
          <h3>{t("adminLine.form.createTitle")}</h3>
          <LineChannelForm
            onDone={() => {
              setConnecting(false);
              toast(t("adminLine.connected"));
            }}
          />
          <button type="button" className="button button-quiet" onClick={() => setConnecting(false)}>
            {t("adminLine.cancel")}
          </button>
        </section>
      )}

      {channels.isPending ? (
        <Loading />
      ) : channels.isError ? (
        <LoadError error={channels.error} onRetry={() => void channels.refetch()} />
      ) : channels.data.length === 0 ? (
        <div className="empty">
          <p>{t("adminLine.empty")}</p>
          <p>
            {t("adminLine.emptyDocs")}{" "}
            <a href={LINE_CONSOLE} target="_blank" rel="noreferrer">
              {t("adminLine.consoleLink")}
            </a>
          </p>
        </div>
      ) : (
        <ul className="line-channel-list">
          {channels.data.map((c) => (
            <LineChannelCard key={c.id} channel={c} members={members.data} />
          ))}
        </ul>
      )}
    </section>
  );
}
