import { useId } from "react";
import { useTranslation } from "react-i18next";
import { useAuditLog } from "../../api/admin-contacts.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { AuditEntryItem } from "./audit-entry.tsx";
import { useMemberNames } from "./member-names.ts";

const HISTORY_PAGE = 20;

/** "Who did what to this contact, when": the audit log filtered to this one contact, newest first. */
export function ContactHistory({ contactId }: { contactId: string }) {
  const { t } = useTranslation();
  const titleId = useId();
  const nameOf = useMemberNames();
  const history = useAuditLog({ q: "", action: "", target: contactId, from: "", to: "" }, HISTORY_PAGE);
  const entries = history.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="admin-history" aria-labelledby={titleId}>
      <h3 id={titleId}>{t("adminContacts.historyTitle")}</h3>
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <LoadError error={history.error} onRetry={() => void history.refetch()} />
      ) : entries.length === 0 ? (
        <p className="hint">{t("adminContacts.historyEmpty")}</p>
      ) : (
        <ol className="audit-list" aria-labelledby={titleId}>
          {entries.map((entry) => (
            <AuditEntryItem key={entry.id} entry={entry} nameOf={nameOf} withTarget={false} />
          ))}
        </ol>
      )}
      {history.hasNextPage && (
        <button type="button" className="button load-more" disabled={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
          {history.isFetchingNextPage ? t("common.loading") : t("adminContacts.loadMore")}
        </button>
      )}
    </section>
  );
}
