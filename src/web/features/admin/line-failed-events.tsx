import { useTranslation } from "react-i18next";
import { useFailedLineEvents, useRetryLineEvent, type WebhookEvent } from "../../api/line-admin.ts";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { formatDateTime } from "./date-time.ts";

/** The error's first line: stored errors carry a stack trace, which the full text keeps for those who need it. */
const headline = (error: string) => error.split("\n", 1)[0]!;

function FailedEventRow({ event }: { event: WebhookEvent }) {
  const { t, i18n } = useTranslation();
  const toast = useToast();
  const retry = useRetryLineEvent();
  const titleId = `line-event-${event.id}`;
  return (
    <li className="line-event" aria-labelledby={titleId}>
      <div className="line-event-top">
        <strong id={titleId}>{event.type}</strong>
        <time dateTime={event.timestamp}>{formatDateTime(event.timestamp, i18n.language)}</time>
      </div>
      <dl className="line-channel-facts">
        <dt>{t("adminLine.events.user")}</dt>
        <dd className="line-event-user">{event.lineUserId ?? "—"}</dd>
        <dt>{t("adminLine.channelId")}</dt>
        <dd>{event.channelId}</dd>
        <dt>{t("adminLine.events.received")}</dt>
        <dd>{formatDateTime(event.receivedAt, i18n.language)}</dd>
        <dt>{t("adminLine.events.attempts")}</dt>
        <dd>{event.attempts}</dd>
      </dl>
      {event.lastError && (
        <details className="line-event-error">
          <summary>{headline(event.lastError)}</summary>
          <pre>{event.lastError}</pre>
        </details>
      )}
      <button
        type="button"
        className="button button-small"
        disabled={retry.isPending}
        aria-busy={retry.isPending}
        aria-describedby={titleId}
        onClick={() => retry.mutate(event.id, { onSuccess: () => toast(t("adminLine.events.retried")) })}
      >
        {retry.isPending ? t("adminLine.events.retrying") : t("adminLine.events.retry")}
      </button>
      <InlineProblem error={retry.error} />
    </li>
  );
}

/** Webhook events that failed every attempt (or whose worker stopped during the last) and were parked for an administrator to retry. */
export function LineFailedEvents() {
  const { t } = useTranslation();
  const events = useFailedLineEvents();
  return (
    <section className="card line-failed-events" aria-labelledby="line-failed-title">
      <h2 id="line-failed-title">{t("adminLine.events.title")}</h2>
      <p className="hint">{t("adminLine.events.help")}</p>
      {events.isPending ? (
        <Loading />
      ) : events.isError ? (
        <LoadError error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.length === 0 ? (
        <p className="empty">{t("adminLine.events.empty")}</p>
      ) : (
        <ul className="line-event-list">
          {events.data.map((e) => (
            <FailedEventRow key={e.id} event={e} />
          ))}
        </ul>
      )}
    </section>
  );
}
