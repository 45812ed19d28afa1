import { setImmediate as nextTurn } from "node:timers/promises";
import { z } from "zod";
import { CONTACT_IMPORT_PROGRESS, type ContactImport } from "../../shared/contacts.ts";
import { cpuTask, type CpuPool } from "../cpu/pool.ts";
import type { Database, Queryable } from "../db/database.ts";
import { directoryRepository } from "../directory/repository.ts";
import type { Auth } from "../directory/service.ts";
import { Problem, problems } from "../http/problem.ts";
import { defineJob, enqueue } from "../jobs/queue.ts";
import { publish } from "../realtime/publish.ts";
import { announceContacts } from "./events.ts";
import { contactImportRepository as repo } from "./import-repository.ts";
import { presentImport } from "./presenter.ts";
import type { ContactsService } from "./service.ts";
import type * as Vcard from "./vcard.ts";
import type { ParsedCard } from "./vcard.ts";

/** The job's whole payload: everything else is in the import's row. */
const ContactImportJobPayload = z.object({ importId: z.uuid() });

/**
 * Cards per run of the job: one worker-thread parse each, and one progress event. Large enough
 * that the per-run costs (job, parse of the whole file to find the range, event) stay small.
 */
export const IMPORT_CHUNK_CARDS = 200;
/**
 * A run's cards are committed in transactions of about this long, each advancing `done`, with a
 * turn of the event loop between them. On PGlite a transaction holds the one connection (and
 * runs on this thread), so every request waits for the one in progress: this bounds the wait.
 * The cards of a transaction go in together, so its size is a count of cards: as many as the
 * last transaction's pace fits into the budget, starting from FIRST_TRANSACTION_CARDS.
 */
const TRANSACTION_BUDGET_MS = 25;
const FIRST_TRANSACTION_CARDS = 10;
/**
 * New contacts are announced at most this often (and at the end of each run): every announcement
 * makes each open contact list that sees them fetch its page again, and a list fetched after every
 * 25 ms transaction took half of a 2,000-card import's time on PGlite, requests going first.
 */
const ANNOUNCE_EVERY_MS = 1_000;

const COUNT_VCARDS = cpuTask<typeof Vcard, "countVcardsTask">(new URL("./vcard.ts", import.meta.url), "countVcardsTask");
const PARSE_VCARDS = cpuTask<typeof Vcard, "parseVcardRangeTask">(new URL("./vcard.ts", import.meta.url), "parseVcardRangeTask");

type Who = Pick<Auth, "member" | "tenant">;

export interface ContactImportDeps {
  db: Database;
  cpu: CpuPool;
  clock: () => Date;
  contacts: ContactsService;
}

/**
 * vCard import as background work (issue 4): the request stores the file and queues a job; each
 * run of the job parses the next chunk on the CPU pool, then creates its contacts in short
 * transactions that each advance `done`, the last of which queues the next run. A run that is repeated (a crash after the
 * commit, before the job was marked done) finds `done` moved and takes the next chunk instead:
 * no card is imported twice. One job per chunk, rather than one for the whole file, lets other
 * jobs (LINE events) take turns and keeps each run far inside the queue's lease.
 */
export function createContactImports(deps: ContactImportDeps) {
  const { db, cpu, clock } = deps;
  // No ordering key: after a crash the next chunk's job must not wait out the lease of the run
  // that crashed; the row lock and the `done` check keep two runs from taking the same chunk.
  // Chunks commit through the worker's lane: on PGlite requests go first (db/pglite.ts).
  const work = db.background();

  async function runChunk({ importId }: z.output<typeof ContactImportJobPayload>) {
    // Requests that arrived during the last run go first.
    await nextTurn();
    const at = await repo.position(work, importId);
    if (!at) return;
    const cards = await cpu.run(PARSE_VCARDS, { text: at.source, from: at.done, count: IMPORT_CHUNK_CARDS });
    // Contacts committed but not announced yet: the next announcement names them too.
    let unannounced: string[] = [];
    let announced = performance.now();
    for (let taken = 0, size = FIRST_TRANSACTION_CARDS; ; ) {
      const some = cards.slice(taken, taken + size);
      const started = performance.now();
      const lastOfRun = taken + some.length >= cards.length;
      const announce = lastOfRun || started - announced >= ANNOUNCE_EVERY_MS ? unannounced : undefined;
      const committed = await work.transaction((tx) => commitSome(tx, importId, at.done + taken, some, lastOfRun, announce));
      if (committed === null) return;
      if (announce) {
        unannounced = [];
        announced = performance.now();
      } else unannounced.push(...committed.ids);
      // The time includes waiting for requests to go first: a busy server gets smaller transactions.
      const perCard = (performance.now() - started) / Math.max(some.length, 1);
      size = Math.max(1, Math.min(IMPORT_CHUNK_CARDS, Math.floor(TRANSACTION_BUDGET_MS / perCard)));
      taken += committed.taken;
      if (taken >= cards.length) return;
      await nextTurn();
    }
  }

  /**
   * Outside the queue's transaction: the chunk opens its own after the parse, so PGlite's one
   * connection is not held while a worker thread parses. When the last attempt throws too, the
   * import is marked failed before the queue parks the job: left `running`, it would say so forever.
   * So is it when the process running the last attempt stopped (the queue then does not run it again).
   */
  const importJob = defineJob({
    kind: "contacts.import",
    payload: ContactImportJobPayload,
    outsideTransaction: true,
    async run(payload, { lastAttempt }) {
      try {
        await runChunk(payload);
      } catch (err) {
        if (lastAttempt) await work.transaction((tx) => fail(tx, payload.importId));
        throw err;
      }
    },
    abandoned: (payload, { tx }) => fail(tx, payload.importId),
  });

  async function fail(tx: Queryable, importId: string) {
    const row = await repo.fail(tx, importId, clock());
    if (!row) return;
    await publish(tx, {
      tenantId: row.tenant_id,
      memberIds: [row.member_id],
      type: CONTACT_IMPORT_PROGRESS,
      data: { importId, state: row.state, total: row.total, done: row.done, failed: row.failed },
    });
  }

  /**
   * Imports `cards` (which start at card `from`) and records them; answers how many it took and
   * the new contacts, or null when another run of the job has moved the import on (that one goes
   * on from there). `lastOfRun`: they end the run's chunk, so the next run is queued (or the
   * import finished). `announce`: the new contacts are announced now, with these committed before.
   */
  async function commitSome(
    tx: Queryable,
    importId: string,
    from: number,
    cards: (ParsedCard & { name: string })[],
    lastOfRun: boolean,
    announce: readonly string[] | undefined,
  ): Promise<{ taken: number; ids: string[] } | null> {
    const row = await repo.lock(tx, importId);
    if (!row || row.state !== "running" || row.done !== from) return null;
    const member = await directoryRepository.member(tx, row.tenant_id, row.member_id);
    const tenant = await directoryRepository.tenant(tx, row.tenant_id);
    if (!member || !tenant) return null;
    const { skipped, ids } = await deps.contacts.importCards(
      tx,
      { member, tenant },
      cards.map(({ name, ...card }, i) => ({ index: from + i, name, card })),
      importId,
    );
    const taken = cards.length;
    // Fewer cards than counted cannot happen with the same text; finishing then beats looping.
    const finished = from + taken >= row.total || cards.length === 0;
    const saved = await repo.advance(tx, importId, { done: finished ? row.total : from + taken, skipped, finished, at: clock() });
    if (lastOfRun && !finished) await enqueue(tx, importJob, { importId });
    // The contacts first: a client that stops listening at "finished" has heard of them all.
    if (announce) await announceContacts(tx, { tenantId: row.tenant_id, type: "contact.created", contactIds: [...announce, ...ids] });
    if (lastOfRun || finished) {
      await publish(tx, {
        tenantId: row.tenant_id,
        memberIds: [row.member_id],
        type: CONTACT_IMPORT_PROGRESS,
        data: { importId, state: saved.state, total: saved.total, done: saved.done, failed: saved.failed },
      });
    }
    return { taken, ids };
  }

  return {
    /** Stores the vCards and queues their import; the cards are counted off the event loop first. */
    async start(who: Who, text: string): Promise<ContactImport> {
      const total = await cpu.run(COUNT_VCARDS, text);
      if (total === 0) throw new Problem(400, "validation_failed", "No vCards", "The body holds no BEGIN:VCARD … END:VCARD block.");
      return db.transaction(async (tx) => {
        const row = await repo.create(tx, { tenantId: who.tenant.id, memberId: who.member.id, source: text, total, at: clock() });
        await enqueue(tx, importJob, { importId: row.id });
        return presentImport(row);
      });
    },

    async get(who: Who, id: string): Promise<ContactImport> {
      const row = await repo.ofMember(db, who.tenant.id, who.member.id, id);
      if (!row) throw problems.notFound("Import");
      return presentImport(row);
    },

    jobs: [importJob],
  };
}

export type ContactImports = ReturnType<typeof createContactImports>;
