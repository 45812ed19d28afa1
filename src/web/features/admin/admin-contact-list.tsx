import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { NavLink, useSearchParams } from "react-router";
import type { Contact } from "../../../shared/contacts.ts";
import { useAdminContacts, type AdminContactFilter } from "../../api/admin-contacts.ts";
import { Avatar } from "../../components/avatar.tsx";
import { LoadError, Loading } from "../../components/states.tsx";
import { contactDisplayName } from "../contacts/contact-name.ts";
import { LineBadge } from "../rooms/line-badge.tsx";
import { formatDateTime } from "./date-time.ts";
import { useMemberNames } from "./member-names.ts";
import { useSettled } from "./use-settled.ts";

export const FILTERS: readonly AdminContactFilter[] = ["all", "line", "no_visible_members", "no_owner", "trash"];
const isFilter = (v: string | null): v is AdminContactFilter => FILTERS.includes(v as AdminContactFilter);

/**
 * The filter and search live in the URL (`?filter=trash&q=…`), so opening a contact and coming
 * back, reloading, or sharing the address keeps the same list.
 */
export function useAdminContactListState() {
  const [params, setParams] = useSearchParams();
  const raw = params.get("filter");
  const filter: AdminContactFilter = isFilter(raw) ? raw : "all";
  return { filter, q: params.get("q") ?? "", search: params.toString(), setParams };
}

/** Every contact of the company, under five filters, with who owns it and who may see it. */
export function AdminContactList() {
  const { t } = useTranslation();
  const searchId = useId();
  const { filter, q, search, setParams } = useAdminContactListState();
  const [typed, setTyped] = useState(q);
  // Typing updates the URL once it pauses; the URL stays the list's single source.
  const settled = useSettled(typed);
  useEffect(() => {
    if (settled === q) return;
    setParams(
      (old) => {
        const next = new URLSearchParams(old);
        if (settled) next.set("q", settled);
        else next.delete("q");
        return next;
      },
      { replace: true },
    );
  }, [settled, q, setParams]);
  const choose = (next: AdminContactFilter) =>
    setParams((old) => {
      const params = new URLSearchParams(old);
      if (next === "all") params.delete("filter");
      else params.set("filter", next);
      return params;
    });

  const contacts = useAdminContacts(filter, q);
  const items = contacts.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section className="contact-list" aria-label={t("adminContacts.listLabel")}>
      <div className="chips admin-filters" role="group" aria-label={t("adminContacts.filtersLabel")}>
        {FILTERS.map((f) => (
          <button key={f} type="button" className="chip" aria-pressed={filter === f} onClick={() => choose(f)}>
            {t(`adminContacts.filter.${f}`)}
          </button>
        ))}
      </div>
      <p className="hint">{t(`adminContacts.filterHelp.${filter}`)}</p>
      <label htmlFor={searchId} className="visually-hidden">
        {t("adminContacts.search")}
      </label>
      <input id={searchId} type="search" placeholder={t("adminContacts.search")} value={typed} onChange={(e) => setTyped(e.target.value)} />
      {contacts.isPending ? (
        <Loading />
      ) : contacts.isError ? (
        <LoadError error={contacts.error} onRetry={() => void contacts.refetch()} />
      ) : items.length === 0 ? (
        <div className="card empty">
          <p>{q ? t("adminContacts.noMatches") : t(`adminContacts.empty.${filter}`)}</p>
        </div>
      ) : (
        <ul className="rooms contacts admin-contact-rows">
          {items.map((contact) => (
            <AdminContactRow key={contact.contactId} contact={contact} search={search} />
          ))}
        </ul>
      )}
      {contacts.hasNextPage && (
        <button type="button" className="button load-more" disabled={contacts.isFetchingNextPage} onClick={() => void contacts.fetchNextPage()}>
          {contacts.isFetchingNextPage ? t("common.loading") : t("adminContacts.loadMore")}
        </button>
      )}
    </section>
  );
}

function AdminContactRow({ contact, search }: { contact: Contact; search: string }) {
  const { t, i18n } = useTranslation();
  const nameOf = useMemberNames();
  const name = contactDisplayName(contact) || t("adminContacts.noName");
  const ownerId = contact.permission.ownerId;
  const privacy =
    contact.permission.accessibleRange === "ALL"
      ? t("adminContacts.privacyAll")
      : contact.permission.accessibleMembers.length
        ? t("adminContacts.privacyMembersCount", { count: contact.permission.accessibleMembers.length })
        : t("adminContacts.ownerOnly");
  const when = contact.deletedAt
    ? t("adminContacts.deletedAt", { date: formatDateTime(contact.deletedAt, i18n.resolvedLanguage ?? "en") })
    : t("adminContacts.updatedAt", { date: formatDateTime(contact.updatedAt, i18n.resolvedLanguage ?? "en") });
  return (
    <li>
      <NavLink to={`/admin/contacts/${contact.contactId}${search ? `?${search}` : ""}`} className="room-row">
        {/* The admin API's photo URL: the member API serves photos only to members who see the contact. */}
        <Avatar name={name} photoUrl={contact.photoUrl} />
        <span className="room-row-text">
          <span className="room-row-top">
            <span className="room-name">{name}</span>
            {contact.linkedLineUser && <LineBadge />}
          </span>
          <span className="admin-contact-facts">
            <span className={ownerId ? undefined : "admin-no-owner"}>{ownerId ? t("adminContacts.ownerIs", { name: nameOf(ownerId) }) : t("adminContacts.noOwner")}</span>
            <span>{t("adminContacts.privacyIs", { privacy })}</span>
          </span>
          <span className="room-preview">{when}</span>
        </span>
      </NavLink>
    </li>
  );
}
