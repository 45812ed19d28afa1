import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { NavLink, useSearchParams } from "react-router";
import { useContacts, type ContactSort, type ContactTab } from "../../api/contacts.ts";
import { Avatar } from "../../components/avatar.tsx";
import { LoadError, Loading } from "../../components/states.tsx";
import { LineBadge } from "../rooms/line-badge.tsx";
import { ContactInteropBar } from "./contact-interop.tsx";
import { companyOf, contactDisplayName } from "./contact-name.ts";

const SEARCH_DELAY_MS = 250;
const SORTS: readonly ContactSort[] = ["name", "created", "modified"];

/** Waits until typing pauses, so a search is one request rather than one per key. */
function useSettled(value: string) {
  const [settled, setSettled] = useState(value.trim());
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

/**
 * The list's tab, search, tag and sort live in the address (`?q=…&tab=line`), so a reload, the
 * back button or a shared link shows the same list, and opening a contact keeps it.
 */
function useListAddress() {
  const [params, setParams] = useSearchParams();
  const set = (name: string, value: string, fallback = "") =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value && value !== fallback) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const sort = params.get("sort") as ContactSort | null;
  return {
    tab: (params.get("tab") === "line" ? "line" : "all") as ContactTab,
    sort: sort && SORTS.includes(sort) ? sort : "name",
    q: params.get("q") ?? "",
    tag: params.get("tag") ?? "",
    search: params.size ? `?${params}` : "",
    set,
  };
}

/** External contacts: "All Contacts" or "External" (LINE), searched, sorted and filtered by tag. */
export function ContactList() {
  const { t } = useTranslation();
  const searchId = useId();
  const sortId = useId();
  const tagId = useId();
  const tagsListId = useId();
  const address = useListAddress();
  const { tab, sort } = address;
  const [search, setSearch] = useState(address.q);
  const [tagInput, setTagInput] = useState(address.tag);
  const q = useSettled(search);
  const tag = useSettled(tagInput);
  useEffect(() => {
    if (q !== address.q) address.set("q", q);
    if (tag !== address.tag) address.set("tag", tag);
    // Only a settled value is written: one address change per search, not one per key.
  }, [q, tag]);
  const contacts = useContacts({ tab, q, tag, sort });
  const items = contacts.data?.pages.flatMap((p) => p.items) ?? [];
  const knownTags = [...new Set(items.flatMap((c) => [...c.tags.company, ...c.tags.mine]))].sort();
  const filtered = Boolean(q || tag);
  // Typed but not yet asked, or asked and not yet answered: the rows shown are the previous search's.
  const searching = search.trim() !== q || tagInput.trim() !== tag || (contacts.isFetching && !contacts.isPending && !contacts.isFetchingNextPage);
  // Ticked contacts, for export. Only those still listed count: one another member just hid
  // (a real-time update) or a search left out cannot be exported by mistake.
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const selectedIds = items.filter((c) => ticked.has(c.contactId)).map((c) => c.contactId);
  const allTicked = items.length > 0 && selectedIds.length === items.length;
  const tick = (id: string, on: boolean) =>
    setTicked((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <section className="contact-list" aria-label={t("contacts.listLabel")}>
      <div className="chips" role="group" aria-label={t("contacts.tabsLabel")}>
        <button type="button" className="chip" aria-pressed={tab === "all"} onClick={() => address.set("tab", "all", "all")}>
          {t("contacts.tabAll")}
        </button>
        <button type="button" className="chip" aria-pressed={tab === "line"} onClick={() => address.set("tab", "line", "all")}>
          {t("contacts.tabExternal")} <LineBadge />
        </button>
      </div>
      <div className="contact-tools">
        <label htmlFor={searchId} className="visually-hidden">
          {t("contacts.search")}
        </label>
        <div className="contact-search">
          <input id={searchId} type="search" placeholder={t("contacts.search")} value={search} onChange={(e) => setSearch(e.target.value)} />
          <span className="contact-search-busy" role="status">
            {searching ? t("contacts.searching") : ""}
          </span>
        </div>
        <div className="contact-tools-row">
          <label className="field-inline" htmlFor={sortId}>
            {t("contacts.sortLabel")}
          </label>
          <select id={sortId} value={sort} onChange={(e) => address.set("sort", e.target.value, "name")}>
            <option value="name">{t("contacts.sortName")}</option>
            <option value="created">{t("contacts.sortCreated")}</option>
            <option value="modified">{t("contacts.sortModified")}</option>
          </select>
          <label className="field-inline" htmlFor={tagId}>
            {t("contacts.tagLabel")}
          </label>
          <input id={tagId} type="search" list={tagsListId} value={tagInput} onChange={(e) => setTagInput(e.target.value)} placeholder={t("contacts.tagAny")} />
          <datalist id={tagsListId}>
            {knownTags.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </div>
      </div>
      <ContactInteropBar selectedIds={selectedIds} onClearSelection={() => setTicked(new Set())} />
      {items.length > 0 && (
        <label className="contact-select-all">
          <input
            type="checkbox"
            checked={allTicked}
            onChange={(e) => setTicked(e.target.checked ? new Set(items.map((c) => c.contactId)) : new Set())}
          />
          {t("contactsInterop.selectAll")}
        </label>
      )}
      {contacts.isPending ? (
        <Loading />
      ) : contacts.isError ? (
        <LoadError error={contacts.error} onRetry={() => void contacts.refetch()} />
      ) : items.length === 0 ? (
        <div className="card empty">
          <p>{filtered ? t("contacts.noMatches") : tab === "line" ? t("contacts.emptyLine") : t("contacts.empty")}</p>
        </div>
      ) : (
        <ul className="rooms contacts" aria-busy={searching}>
          {items.map((contact) => {
            const name = contactDisplayName(contact) || t("contacts.noName");
            const company = companyOf(contact);
            return (
              <li key={contact.contactId} className="contact-row">
                <input
                  type="checkbox"
                  className="contact-select"
                  aria-label={t("contactsInterop.selectContact", { name })}
                  checked={ticked.has(contact.contactId)}
                  onChange={(e) => tick(contact.contactId, e.target.checked)}
                />
                <NavLink to={{ pathname: `/contacts/${contact.contactId}`, search: address.search }} className="room-row">
                  <Avatar name={name} photoUrl={contact.photoUrl} />
                  <span className="room-row-text">
                    <span className="room-row-top">
                      <span className="room-name">{name}</span>
                      {contact.linkedLineUser && <LineBadge />}
                    </span>
                    {company && <span className="room-preview">{company}</span>}
                  </span>
                </NavLink>
              </li>
            );
          })}
        </ul>
      )}
      {contacts.hasNextPage && (
        <button type="button" className="button load-more" disabled={contacts.isFetchingNextPage} onClick={() => void contacts.fetchNextPage()}>
          {contacts.isFetchingNextPage ? t("common.loading") : t("contacts.loadMore")}
        </button>
      )}
    </section>
  );
}
