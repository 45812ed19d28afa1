import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Contact } from "../../../shared/contacts.ts";
import { usePermanentDelete, useRestoreContact, useTrash } from "../../api/contacts.ts";
import { Avatar } from "../../components/avatar.tsx";
import { InlineProblem, LoadError, Loading } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { LineBadge } from "../rooms/line-badge.tsx";
import { ConfirmButton } from "./confirm-button.tsx";
import { contactDisplayName } from "./contact-name.ts";

/** `/contacts/trash`: contacts I deleted (or could edit), to restore as they were or delete for good. */
export function TrashView() {
  const { t } = useTranslation();
  const trash = useTrash();
  const items = trash.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="page">
      <div className="page-header">
        <h1>{t("contacts.trashTitle")}</h1>
        <Link to="/contacts" className="button button-quiet">
          ← {t("contacts.back")}
        </Link>
      </div>
      <p className="hint">{t("contacts.trashHelp")}</p>
      {trash.isPending ? (
        <Loading />
      ) : trash.isError ? (
        <LoadError error={trash.error} onRetry={() => void trash.refetch()} />
      ) : items.length === 0 ? (
        <div className="card empty">
          <p>{t("contacts.trashEmpty")}</p>
        </div>
      ) : (
        <ul className="rooms trash-list" aria-label={t("contacts.trashTitle")}>
          {items.map((contact) => (
            <TrashRow key={contact.contactId} contact={contact} />
          ))}
        </ul>
      )}
      {trash.hasNextPage && (
        <button type="button" className="button load-more" disabled={trash.isFetchingNextPage} onClick={() => void trash.fetchNextPage()}>
          {t("contacts.loadMore")}
        </button>
      )}
    </div>
  );
}

function TrashRow({ contact }: { contact: Contact }) {
  const { t } = useTranslation();
  const toast = useToast();
  const restore = useRestoreContact();
  const purge = usePermanentDelete();
  const name = contactDisplayName(contact) || t("contacts.noName");
  return (
    <li className="room-row trash-row">
      <Avatar name={name} photoUrl={contact.photoUrl} />
      <span className="room-row-text">
        <span className="room-row-top">
          <span className="room-name">{name}</span>
          {contact.linkedLineUser && <LineBadge />}
        </span>
        {contact.deletedAt && <span className="room-preview">{t("contacts.deletedAt", { date: new Date(contact.deletedAt).toLocaleString() })}</span>}
        <InlineProblem error={restore.error} />
      </span>
      <span className="trash-actions">
        <button
          type="button"
          className="button button-small"
          disabled={restore.isPending}
          aria-label={t("contacts.restoreNamed", { name })}
          onClick={() => restore.mutateAsync(contact.contactId).then(() => toast(t("contacts.restored", { name })), () => {})}
        >
          {t("contacts.restore")}
        </button>
        <ConfirmButton
          className="button button-small"
          label={t("contacts.deleteForever")}
          title={t("contacts.deleteForeverTitle", { name })}
          body={t("contacts.deleteForeverBody")}
          confirmLabel={t("contacts.deleteForever")}
          pending={purge.isPending}
          error={purge.error}
          onOpen={purge.reset}
          onConfirm={async () => {
            try {
              await purge.mutateAsync(contact.contactId);
            } catch {
              return false;
            }
            toast(t("contacts.purged", { name }));
            return true;
          }}
        />
      </span>
    </li>
  );
}
