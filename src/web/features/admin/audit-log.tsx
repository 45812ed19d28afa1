import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { auditCsvUrl, useAuditLog, type AuditFilter } from "../../api/admin-contacts.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { AuditEntryItem, actionLabel } from "./audit-entry.tsx";
import { dayStart } from "./date-time.ts";
import { useMemberNames } from "./member-names.ts";
import { useSettled } from "./use-settled.ts";

/** The contact actions one by one, then whole families (the API matches `contact` to `contact.*`). */
const CONTACT_ACTIONS = [
  "contact.add",
  "contact.view",
  "contact.edit",
  "contact.tags",
  "contact.delete",
  "contact.restore",
  "contact.permanent_delete",
  "contact.purge",
  "contact.owner",
  "contact.permission",
  "contact.export",
  "contact.settings",
  "contact.line_profile",
] as const;
const FAMILIES = ["contact", "member", "tenant", "friendship", "invitation", "line_channel"] as const;

/**
 * The audit log (kept 180 days): searched by words, an action and a date range, newest first, a
 * page at a time; "Download CSV" asks the server for the same filters as a file.
 */
export function AuditLog() {
  const { t } = useTranslation();
  const ids = { q: useId(), action: useId(), from: useId(), to: useId(), range: useId() };
  const nameOf = useMemberNames();
  const [typed, setTyped] = useState("");
  const q = useSettled(typed);
  const [action, setAction] = useState("");
  const [fromDay, setFromDay] = useState("");
  const [toDay, setToDay] = useState("");
  // ISO dates compare as strings; an end before the start would only ever find nothing.
  const rangeInvalid = Boolean(fromDay && toDay && fromDay > toDay);
  const filter: AuditFilter = {
    q,
    action,
    target: "",
    from: fromDay ? dayStart(fromDay) : "",
    // The end day is included: entries before the start of the next day.
    to: toDay ? dayStart(toDay, 1) : "",
  };
  const log = useAuditLog(filter);
  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(q || action || fromDay || toDay);

  return (
    <section className="audit-log" aria-label={t("adminContacts.auditTitle")}>
      <p className="hint">{t("adminContacts.auditHelp")}</p>
      <form className="audit-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label className="field" htmlFor={ids.q}>
          <span>{t("adminContacts.auditSearch")}</span>
          <input id={ids.q} type="search" value={typed} placeholder={t("adminContacts.auditSearchPlaceholder")} onChange={(e) => setTyped(e.target.value)} />
        </label>
        <label className="field" htmlFor={ids.action}>
          <span>{t("adminContacts.auditAction")}</span>
          <select id={ids.action} value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">{t("adminContacts.anyAction")}</option>
            <optgroup label={t("adminContacts.contactActions")}>
              {CONTACT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {actionLabel(t, a)}
                </option>
              ))}
            </optgroup>
            <optgroup label={t("adminContacts.actionGroups")}>
              {FAMILIES.map((f) => (
                <option key={f} value={f}>
                  {t(`adminContacts.actionFamilies.${f}`)}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <label className="field" htmlFor={ids.from}>
          <span>{t("adminContacts.auditFrom")}</span>
          <input id={ids.from} type="date" value={fromDay} max={toDay || undefined} onChange={(e) => setFromDay(e.target.value)} aria-invalid={rangeInvalid} aria-describedby={rangeInvalid ? ids.range : undefined} />
        </label>
        <label className="field" htmlFor={ids.to}>
          <span>{t("adminContacts.auditTo")}</span>
          <input id={ids.to} type="date" value={toDay} min={fromDay || undefined} onChange={(e) => setToDay(e.target.value)} aria-invalid={rangeInvalid} aria-describedby={rangeInvalid ? ids.range : undefined} />
        </label>
      </form>
      <div className="audit-actions">
        {rangeInvalid ? (
          <p className="inline-problem" role="alert" id={ids.range}>
            {t("adminContacts.rangeInvalid")}
          </p>
        ) : (
          // A plain link: the browser downloads the server's attachment with the session cookie.
          <a className="button" href={auditCsvUrl(filter)} download>
            {t("adminContacts.downloadCsv")}
          </a>
        )}
      </div>
      {rangeInvalid ? null : log.isPending ? (
        <Loading />
      ) : log.isError ? (
        <LoadError error={log.error} onRetry={() => void log.refetch()} />
      ) : entries.length === 0 ? (
        <div className="card empty">
          <p>{filtered ? t("adminContacts.auditNoMatches") : t("adminContacts.auditEmpty")}</p>
        </div>
      ) : (
        <ol className="audit-list audit-list-full" aria-label={t("adminContacts.auditEntries")}>
          {entries.map((entry) => (
            <AuditEntryItem key={entry.id} entry={entry} nameOf={nameOf} withTarget />
          ))}
        </ol>
      )}
      {!rangeInvalid && log.hasNextPage && (
        <button type="button" className="button load-more" disabled={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
          {log.isFetchingNextPage ? t("common.loading") : t("adminContacts.loadMore")}
        </button>
      )}
    </section>
  );
}
