import crypto from "node:crypto";
import { writeAudit } from "../audit/audit.ts";
import type { Database, Queryable } from "../db/database.ts";
import { contactRepository, type ContactRow } from "../contacts/repository.ts";
import { toVcard } from "../contacts/vcard.ts";
import type { DavUser } from "./app-passwords.ts";
import { addressBookRepository, syncRepository, type CardRef } from "./repository.ts";
import { inVersion, type VcardVersion } from "./vcard-version.ts";

/** How many sync tokens each member keeps: one or two per device is what clients hold. */
const TOKENS_KEPT = 10;
const TOKEN_PREFIX = "urn:tsunagu:sync:";
const PAGE = 200;

/** A state as stored: one "contactId version" line per card, sorted, so equal sets hash equally. */
const serialize = (cards: CardRef[]) =>
  cards
    .map((c) => `${c.id} ${c.version}`)
    .sort()
    .join("\n");

function parseState(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [id, version] = line.split(" ");
    if (id && version) out.set(id, Number(version));
  }
  return out;
}

export interface Changes {
  changed: CardRef[];
  removed: string[];
}

/**
 * The member's address book: every live external contact they may see, as the contacts list
 * shows it (no LINE gate: it guards chatting, not reading contacts). Card ETags are contact
 * versions; the collection's CTag and sync token are a hash of all (id, version) pairs.
 */
export function createAddressBook({ db, clock }: { db: Database; clock: () => Date }) {
  const tokenOf = (state: string) => `${TOKEN_PREFIX}${crypto.createHash("sha256").update(state).digest("base64url")}`;

  return {
    /**
     * Runs `fn` on one snapshot of the database (REPEATABLE READ, read only), so a listing and
     * the cards it names agree even while contacts are being edited.
     */
    consistently: <T>(fn: (tx: Queryable) => Promise<T>) =>
      db.transaction(async (tx) => {
        await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        return fn(tx);
      }),

    /** The cards (id, version) the member sees now; `q` is a snapshot transaction when there is one. */
    cards: (who: DavUser, q: Queryable = db) => addressBookRepository.cards(q, who.tenant.id, who.member.id),

    tokenOf: (cards: CardRef[]) => tokenOf(serialize(cards)),

    /** Records that this member holds the token of `cards`, so a later sync can diff against it. */
    async handOut(who: DavUser, cards: CardRef[]): Promise<string> {
      const state = serialize(cards);
      const token = tokenOf(state);
      await db.transaction(async (tx) => {
        await syncRepository.saveState(tx, token, state, clock());
        await syncRepository.grant(tx, who.member.id, token, clock());
        await syncRepository.prune(tx, who.member.id, TOKENS_KEPT);
      });
      return token;
    },

    /** What changed since `token`, or undefined when the token is not one this member holds. */
    async changesSince(who: DavUser, token: string, now: CardRef[], q: Queryable = db): Promise<Changes | undefined> {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const stored = await syncRepository.stateFor(q, who.member.id, token);
      if (stored === undefined) return undefined;
      const before = parseState(stored);
      const current = new Set(now.map((c) => c.id));
      return {
        changed: now.filter((c) => before.get(c.id) !== c.version),
        removed: [...before.keys()].filter((id) => !current.has(id)),
      };
    },

    /** Full rows of these contacts, each only if the member may see it and it is not in the Trash. */
    async rows(who: DavUser, ids: string[], q: Queryable = db): Promise<Map<string, ContactRow>> {
      const out = new Map<string, ContactRow>();
      for (const id of ids) {
        const row = await contactRepository.get(q, who.tenant.id, who.member.id, id);
        if (row && row.visible && !row.deleted_at) out.set(id, row);
      }
      return out;
    },

    /** Every card's full row, page by page through the contacts list query itself. */
    async allRows(who: DavUser, q: Queryable = db): Promise<ContactRow[]> {
      const rows: ContactRow[] = [];
      let after: { key: string; id: string } | undefined;
      for (;;) {
        const page = await contactRepository.list(q, { tenantId: who.tenant.id, memberId: who.member.id, sort: "name", after, limit: PAGE });
        rows.push(...page);
        if (page.length < PAGE) return rows;
        const last = page.at(-1)!;
        after = { key: last.sort_name, id: last.id };
      }
    },

    /** Handing out card data is an export of those contacts (DESIGN §2.9: views are audited). */
    async audit(who: DavUser, ids: string[]) {
      if (!ids.length) return;
      await writeAudit(db, {
        tenantId: who.tenant.id,
        actorId: who.member.id,
        action: "contact.export",
        targetType: "contact",
        detail: { via: "carddav", count: ids.length, ids },
      });
    },
  };
}

export type AddressBook = ReturnType<typeof createAddressBook>;

export const cardData = (row: ContactRow, version: VcardVersion) => inVersion(toVcard(row), version);
