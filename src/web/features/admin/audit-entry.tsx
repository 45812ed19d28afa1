import type { TFunction } from "i18next";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { z } from "zod";
import type { AuditEntrySchema } from "../../../shared/contacts.ts";
import { formatDateTime } from "./date-time.ts";
import type { NameOf } from "./member-names.ts";

export type AuditEntry = z.infer<typeof AuditEntrySchema>;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** An action code ("contact.add") as words; a code this app does not know yet is shown as it is. */
export const actionLabel = (t: TFunction, action: string) => t(`adminContacts.actions.${action}`, { defaultValue: action });

/**
 * The part of an entry's detail a person needs to understand it (which fields, from whom to whom,
 * which privacy); null when the action says it all.
 */
function detailText(t: TFunction, entry: AuditEntry, nameOf: NameOf): string | null {
  const d = entry.detail;
  const ownerName = (id: unknown) => (typeof id === "string" ? nameOf(id) : t("adminContacts.noOwner"));
  switch (entry.action) {
    case "contact.add":
      return typeof d.source === "string" ? t(`adminContacts.sources.${d.source}`, { defaultValue: d.source }) : null;
    case "contact.view":
      return d.admin === true ? t("adminContacts.viewedByAdmin") : null;
    case "contact.edit": {
      const fields = strings(d.fields).map((f) => t(`adminContacts.fields.${f}`, { defaultValue: f }));
      return fields.length ? t("adminContacts.detailFields", { fields: fields.join(", ") }) : null;
    }
    case "contact.tags": {
      const tags = (d.tags ?? {}) as Record<string, unknown>;
      const parts = [];
      if (Array.isArray(tags.company)) parts.push(t("adminContacts.detailCompanyTags", { tags: strings(tags.company).join(", ") || "—" }));
      if (Array.isArray(tags.mine)) parts.push(t("adminContacts.detailMyTags", { tags: strings(tags.mine).join(", ") || "—" }));
      return parts.join(" · ") || null;
    }
    case "contact.line_profile": {
      const name = (d.nickName ?? {}) as Record<string, unknown>;
      const parts = [];
      if (typeof name.to === "string") parts.push(t("adminContacts.detailLineName", { from: typeof name.from === "string" ? name.from : "—", to: name.to }));
      if (d.photo === true) parts.push(t("adminContacts.detailLinePhoto"));
      return parts.join(" · ") || null;
    }
    case "contact.owner":
      return t("adminContacts.detailOwner", { from: ownerName(d.from), to: ownerName(d.to) });
    case "contact.permission": {
      const chosen = Array.isArray(d.accessibleMembers) ? d.accessibleMembers.length : 0;
      const range =
        d.accessibleRange === "ALL" ? t("adminContacts.privacyAll") : chosen ? t("adminContacts.privacyMembersCount", { count: chosen }) : t("adminContacts.ownerOnly");
      return `${range} · ${d.isCoEditing ? t("adminContacts.coEditingOn") : t("adminContacts.coEditingOff")}`;
    }
    case "contact.export":
      return typeof d.count === "number" ? t("adminContacts.detailCount", { count: d.count }) : null;
    case "contact.settings": {
      const parts = [];
      if (typeof d.trashRetentionDays === "number") parts.push(t("adminContacts.detailRetention", { count: d.trashRetentionDays }));
      if (d.defaultAccessRange === "ALL") parts.push(t("adminContacts.detailDefaultAll"));
      if (d.defaultAccessRange === "MEMBER") parts.push(t("adminContacts.detailDefaultMember"));
      return parts.join(" · ") || null;
    }
    case "tenant.line_account": {
      const change = (v: unknown) => (v ?? {}) as { from?: unknown; to?: unknown };
      const word = (v: unknown) =>
        typeof v === "boolean" ? t(v ? "adminContacts.settingOn" : "adminContacts.settingOff") : typeof v === "string" ? t(`adminLine.account.languages.${v}`, { defaultValue: v }) : "—";
      const parts = [];
      for (const [key, label] of [["language", "detailLineLanguage"], ["readReceipts", "detailLineReadReceipts"], ["typing", "detailLineTyping"]] as const) {
        if (d[key] !== undefined) parts.push(t(`adminContacts.${label}`, { from: word(change(d[key]).from), to: word(change(d[key]).to) }));
      }
      return parts.join(" · ") || null;
    }
    default:
      return null;
  }
}

/**
 * What an entry is about: the contact (a link to it while it exists), a member, the company; or
 * nothing known.
 */
function targetOf(t: TFunction, entry: AuditEntry, nameOf: NameOf): ReactNode {
  switch (entry.targetType) {
    case "contact":
      if (!entry.targetId) return null;
      return entry.targetName ? <Link to={`/admin/contacts/${entry.targetId}`}>{entry.targetName}</Link> : t("adminContacts.deletedContact");
    case "member":
      return entry.targetId ? nameOf(entry.targetId) : null;
    case "tenant":
      return t("adminContacts.targetCompany");
    default:
      return null;
  }
}

/**
 * The actor column. Entries without a member are written by the service itself (the demo seed,
 * the Trash sweep); audit_log.actor_member_id would also be nulled if a member row were removed.
 */
function actorText(t: TFunction, entry: AuditEntry): string {
  return entry.actor ? entry.actor.displayName : t("adminContacts.system");
}

/**
 * One line of the log: who (or "System" for the retention sweep), did what, to what, when, and
 * the detail that matters. `withTarget` is off in a contact's own history, where it is implied.
 */
export function AuditEntryItem({ entry, nameOf, withTarget }: { entry: AuditEntry; nameOf: NameOf; withTarget: boolean }) {
  const { t, i18n } = useTranslation();
  const target = withTarget ? targetOf(t, entry, nameOf) : null;
  const detail = detailText(t, entry, nameOf);
  return (
    <li className="audit-entry">
      <span className="audit-line">
        <span className="audit-actor">{actorText(t, entry)}</span>
        <span className="audit-action">{actionLabel(t, entry.action)}</span>
        {target && <span className="audit-target">{target}</span>}
      </span>
      <time className="audit-time" dateTime={entry.at}>
        {formatDateTime(entry.at, i18n.resolvedLanguage ?? "en")}
      </time>
      {detail && <span className="audit-detail">{detail}</span>}
    </li>
  );
}
