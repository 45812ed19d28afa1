import type { Contact, ContactImport } from "../../shared/contacts.ts";
import type { ContactImportRow } from "./import-repository.ts";
import type { ContactRow, Keyset, SortKey } from "./repository.ts";
import { sortKeyOf } from "./repository.ts";

const fileName = (key: string) => encodeURIComponent(key.split("/").pop()!);

/**
 * `admin`: the photo through the admin API, which serves any contact of the company; the member
 * API serves it only to those who see the contact, which an administrator may not.
 */
export function presentContact(r: ContactRow, via: "member" | "admin" = "member"): Contact {
  return {
    contactId: r.id,
    contactName: {
      lastName: r.last_name,
      firstName: r.first_name,
      phoneticLastName: r.phonetic_last_name,
      phoneticFirstName: r.phonetic_first_name,
      nickName: r.nick_name,
    },
    // Our own copy, versioned by file name so browsers refetch when it changes.
    photoUrl: r.photo_key ? `/api/v1/${via === "admin" ? "admin/" : ""}contacts/${r.id}/photo?v=${fileName(r.photo_key)}` : null,
    emails: r.emails,
    telephones: r.telephones,
    organizations: r.organizations,
    addresses: r.addresses,
    websites: r.websites,
    memo: r.memo,
    tags: { company: r.company_tags, mine: r.my_tags },
    permission: {
      ownerId: r.owner_id,
      accessibleRange: r.access_range,
      isCoEditing: r.co_editing,
      accessibleMembers: r.accessible,
    },
    linkedLineUser: r.line_user_id
      ? {
          lineUserId: r.line_user_id,
          displayName: r.line_display_name,
          pictureUrl: r.photo_key ? `/api/v1/contacts/${r.id}/photo?v=${fileName(r.photo_key)}` : null,
          ...(r.room_id ? { roomId: r.room_id } : {}),
        }
      : null,
    editable: r.editable,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    ...(r.deleted_at ? { deletedAt: r.deleted_at.toISOString(), deletedBy: r.deleted_by } : {}),
  };
}

/** Opaque keyset cursor: the sort it belongs to, the sort key and the id of the last row. */
export function encodeCursor(row: ContactRow & { sort_name?: string }, sort: SortKey): string {
  return Buffer.from(JSON.stringify([sort, sortKeyOf(row, sort), row.id])).toString("base64url");
}

export function decodeCursor(cursor: string, sort: SortKey): Keyset | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString()) as unknown;
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [s, key, id] = parsed as unknown[];
    if (s !== sort || typeof key !== "string" || typeof id !== "string" || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
    if (sort !== "name" && Number.isNaN(new Date(key).getTime())) return undefined;
    return { key, id };
  } catch {
    return undefined;
  }
}

export const versionEtag = (version: number) => `"${version}"`;

/** The version in an If-Match header (`"3"`, `W/"3"` or `3`), or undefined when it is not one of ours. */
export function parseIfMatch(header: string | undefined): number | undefined {
  const m = header?.trim().match(/^(?:W\/)?"?(\d{1,9})"?$/);
  return m ? Number(m[1]) : undefined;
}

export function presentImport(r: ContactImportRow): ContactImport {
  return {
    importId: r.id,
    state: r.state,
    total: r.total,
    done: r.done,
    imported: r.done - r.failed,
    failed: r.failed,
    skipped: r.report,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
