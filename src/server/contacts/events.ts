import type { ContactEventData, ContactEventType } from "../../shared/contacts.ts";
import type { Queryable } from "../db/database.ts";
import { publish } from "../realtime/publish.ts";
import { contactRepository as repo } from "./repository.ts";

/**
 * The members who see these contacts now. A change that can narrow or end a contact's audience
 * (sharing, owner, permanent delete, purge) reads it first and passes it to `announceContacts`.
 */
export const contactAudience = (tx: Queryable, tenantId: string, contactIds: readonly string[]) => repo.audience(tx, tenantId, contactIds);

/**
 * Tells the open web apps of every member who sees the contacts after the change, and of
 * `before` (who saw them before it), so a member who just lost sight hears too and drops them.
 */
export async function announceContacts(
  tx: Queryable,
  ev: { tenantId: string; type: ContactEventType; contactIds: readonly string[]; before?: readonly string[] },
): Promise<void> {
  if (!ev.contactIds.length) return;
  const after = await repo.audience(tx, ev.tenantId, ev.contactIds);
  const data: ContactEventData = ev.contactIds.length === 1 ? { contactId: ev.contactIds[0]! } : { contactIds: [...new Set(ev.contactIds)] };
  await publish(tx, { tenantId: ev.tenantId, memberIds: [...(ev.before ?? []), ...after], type: ev.type, data });
}
