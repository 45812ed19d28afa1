import type { Queryable } from "../db/database.ts";
import { foldForSearch } from "../search/normalize.ts";
import { prepared } from "../db/prepared.ts";

/** A line_channels row as stored: secrets are still sealed (see secrets.ts). */
export interface ChannelRow {
  id: string;
  tenant_id: string;
  channel_id: string;
  mode: "dedicated" | "shared";
  dedicated_member_id: string | null;
  channel_secret_enc: string;
  token_source: "static" | "issued";
  access_token_enc: string | null;
  access_token_expires_at: Date | null;
  login_channel_id: string | null;
  login_channel_secret_enc: string | null;
  basic_id: string | null;
  bot_name: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface LineUserRow {
  id: string;
  channel_id: string;
  user_id: string;
  display_name: string | null;
  picture_url: string | null;
  picture_file_key: string | null;
  status_message: string | null;
  language: string | null;
  follow_state: "unknown" | "followed" | "blocked";
  followed_at: Date | null;
  blocked_at: Date | null;
  synced_at: Date | null;
  sync_requested_at: Date | null;
  /** Whom a shared channel routes this LINE user's messages to (the member befriended or picked last). */
  current_member_id: string | null;
  created_at: Date;
}

export type WebhookEventState = "pending" | "processed" | "failed" | "ignored";

export interface WebhookEventRow {
  id: number;
  webhook_event_id: string;
  channel_id: string;
  event_type: string;
  line_user_id: string | null;
  event_timestamp: Date;
  event: Record<string, unknown>;
  received_at: Date;
  state: WebhookEventState;
  last_error: string | null;
  processed_at: Date | null;
  /** Tries of its latest run (an admin's retry starts again at zero). */
  attempts: number;
}

export interface LoginStateRow {
  state: string;
  channel_id: string;
  nonce: string;
  code_verifier: string;
  purpose: Record<string, unknown>;
  expires_at: Date;
}

export type NewChannel = Pick<
  ChannelRow,
  | "tenant_id"
  | "channel_id"
  | "mode"
  | "dedicated_member_id"
  | "channel_secret_enc"
  | "token_source"
  | "access_token_enc"
  | "login_channel_id"
  | "login_channel_secret_enc"
  | "basic_id"
  | "bot_name"
>;

export type ChannelChanges = Partial<Omit<NewChannel, "tenant_id" | "channel_id">> & {
  access_token_expires_at?: Date | null;
};

export interface NewWebhookEvent {
  webhookEventId: string;
  channelId: string;
  type: string;
  lineUserId: string | null;
  timestamp: Date;
  event: unknown;
  state: "pending" | "ignored";
}

export interface ProfileFields {
  display_name: string | null;
  picture_url: string | null;
  status_message: string | null;
  language: string | null;
}

const CHANNEL_COLUMNS = `id, tenant_id, channel_id, mode, dedicated_member_id, channel_secret_enc, token_source,
  access_token_enc, access_token_expires_at, login_channel_id, login_channel_secret_enc, basic_id, bot_name, created_at, updated_at`;

/** An intake row a feed may take: not waiting out a backoff after failing alone (intakeFeedFailed). */
const FEEDABLE = "(retry_at IS NULL OR retry_at <= now())";

export const lineRepository = {
  async insertChannel(db: Queryable, c: NewChannel): Promise<ChannelRow> {
    const [row] = await db.query<ChannelRow>(
      `INSERT INTO line_channels (tenant_id, channel_id, mode, dedicated_member_id, channel_secret_enc, token_source,
         access_token_enc, login_channel_id, login_channel_secret_enc, basic_id, bot_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${CHANNEL_COLUMNS}`,
      [
        c.tenant_id,
        c.channel_id,
        c.mode,
        c.dedicated_member_id,
        c.channel_secret_enc,
        c.token_source,
        c.access_token_enc,
        c.login_channel_id,
        c.login_channel_secret_enc,
        c.basic_id,
        c.bot_name,
      ],
    );
    return row!;
  },

  async updateChannel(db: Queryable, id: string, changes: ChannelChanges): Promise<ChannelRow | undefined> {
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
    if (!entries.length) return this.channel(db, id);
    // Column names come from the typed ChannelChanges keys, never from a request.
    const sets = entries.map(([k], i) => `${k} = $${i + 2}`);
    const [row] = await db.query<ChannelRow>(
      `UPDATE line_channels SET ${sets.join(", ")}, updated_at = now() WHERE id = $1 RETURNING ${CHANNEL_COLUMNS}`,
      [id, ...entries.map(([, v]) => v)],
    );
    return row;
  },

  async channel(db: Queryable, id: string): Promise<ChannelRow | undefined> {
    const [row] = await db.query<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM line_channels WHERE id = $1`, [id]);
    return row;
  },

  async tenantChannel(db: Queryable, tenantId: string, id: string): Promise<ChannelRow | undefined> {
    const [row] = await db.query<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM line_channels WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row;
  },

  async channelByLineId(db: Queryable, channelId: string): Promise<ChannelRow | undefined> {
    const [row] = await db.query<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM line_channels WHERE channel_id = $1`, [channelId]);
    return row;
  },

  allChannels: (db: Queryable) => db.query<ChannelRow>("SELECT * FROM line_channels ORDER BY created_at"),

  channels: (db: Queryable, tenantId: string) =>
    db.query<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM line_channels WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]),

  /**
   * The webhook ack's write: a group of deliveries as one `line_intake` row (one heap row, one
   * index entry), holding the events as webhook_events and their jobs will get them: the ack's
   * receipt time, the hold's run_at, and the LINE user's ordering key.
   */
  async storeIntake(db: Queryable, deliveries: { events: NewWebhookEvent[]; lineChannelId: string; runAt: Date | null }[], receivedAt: Date) {
    const rows = deliveries.flatMap((d) =>
      d.events.map((e) => ({
        webhook_event_id: e.webhookEventId,
        channel_id: e.channelId,
        event_type: e.type,
        line_user_id: e.lineUserId,
        event_timestamp: e.timestamp.toISOString(),
        event: e.event,
        state: e.state,
        received_at: receivedAt.toISOString(),
        ordering_key: `${d.lineChannelId}:${e.lineUserId}`,
        run_at: d.runAt?.toISOString() ?? null,
      })),
    );
    await db.query(prepared("INSERT INTO line_intake (event_count, events) VALUES ($1, $2::jsonb)"), [rows.length, JSON.stringify(rows)]);
  },

  /**
   * For the job queue's enqueueFromQuery: takes the first intake rows (SKIP LOCKED: instances
   * feed side by side) up to `events` events (at least one row, among at most `rows`), stores their events LINE has not delivered before (a webhookEventId seen
   * before is skipped), and returns one row per stored event — a `line.event` payload for the
   * pending ones, under the LINE user's ordering key at the event's own time — plus one row
   * without a payload per intake row taken, as part -1 (how many were taken, duplicates or not),
   * and one per row it looked at, as part -2 (more wait when it took fewer).
   */
  feedQuery(limit: { events: number; rows: number }, only?: number) {
    return {
      // A row waiting out a failed feed's backoff is passed over; `only` feeds one row alone.
      with: `candidates AS (
               SELECT id, event_count FROM line_intake
               WHERE ${FEEDABLE}${only === undefined ? "" : " AND id = $3"}
               ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
             ), taken AS (
               DELETE FROM line_intake WHERE id IN (
                 SELECT id FROM (SELECT id, sum(event_count) OVER (ORDER BY id) - event_count AS before FROM candidates) c WHERE before < $1)
               RETURNING id, events
             ), delivered AS (
               SELECT t.id AS intake_id, e.n, x.* FROM taken t
               CROSS JOIN LATERAL jsonb_array_elements(t.events) WITH ORDINALITY AS e(value, n)
               CROSS JOIN LATERAL jsonb_to_record(e.value) AS x(webhook_event_id text, channel_id uuid, event_type text,
                 line_user_id text, event_timestamp timestamptz, event jsonb, state text, received_at timestamptz, ordering_key text, run_at timestamptz)
             ), stored AS (
               INSERT INTO webhook_events (webhook_event_id, channel_id, event_type, line_user_id, event_timestamp, event, state, received_at)
               SELECT webhook_event_id, channel_id, event_type, line_user_id, event_timestamp, event, state, received_at FROM delivered d
               -- A channel deleted since its delivery was acknowledged: its events go with it, not the whole feed with them.
               WHERE EXISTS (SELECT 1 FROM line_channels c WHERE c.id = d.channel_id)
               ORDER BY intake_id, n
               ON CONFLICT (webhook_event_id) DO NOTHING
               RETURNING id, webhook_event_id, state
             )`,
      // One row per stored event; an id delivered twice among the rows taken is stored once.
      sql: `SELECT * FROM (
              SELECT DISTINCT ON (s.id) CASE WHEN s.state = 'pending' THEN jsonb_build_object('eventId', s.id) END AS payload,
                     d.ordering_key, d.event_timestamp AS ordered_at, d.run_at, 0 AS part
              FROM stored s JOIN delivered d USING (webhook_event_id) ORDER BY s.id, d.intake_id, d.n) events
            UNION ALL
            SELECT NULL::jsonb, NULL, NULL, NULL, -1 FROM taken
            UNION ALL
            SELECT NULL::jsonb, NULL, NULL, NULL, -2 FROM candidates`,
      params: only === undefined ? [limit.events, limit.rows] : [limit.events, limit.rows, only],
    };
  },

  /** Intake rows a feed would take now: what drain() waits for. */
  async intakeWaiting(db: Queryable): Promise<boolean> {
    const [row] = await db.query<{ waiting: boolean }>(`SELECT EXISTS (SELECT 1 FROM line_intake WHERE ${FEEDABLE}) AS waiting`);
    return row!.waiting;
  },

  /** The first intake row a feed would take, to feed alone when a feed of many failed. */
  async firstIntake(db: Queryable): Promise<number | undefined> {
    const [row] = await db.query<{ id: number }>(`SELECT id FROM line_intake WHERE ${FEEDABLE} ORDER BY id LIMIT 1`);
    return row && Number(row.id);
  },

  /** Counts a failed feed of the row alone and passes it over for `backoffMs`; returns its failures so far. */
  async intakeFeedFailed(db: Queryable, id: number, error: string, backoffMs: (failures: number) => number): Promise<number> {
    const [row] = await db.query<{ failed_feeds: number }>("SELECT failed_feeds FROM line_intake WHERE id = $1", [id]);
    if (!row) return 0;
    const failures = row.failed_feeds + 1;
    await db.query(
      "UPDATE line_intake SET failed_feeds = $2, last_error = $3, retry_at = now() + make_interval(secs => $4) WHERE id = $1",
      [id, failures, error, backoffMs(failures) / 1000],
    );
    return failures;
  },

  /**
   * Takes a pending event for processing in one statement: locks it and marks it processed with
   * this attempt, for the caller's transaction to undo if processing fails. Undefined when the
   * event is gone or no longer pending (exactly once: it never runs twice).
   */
  async takeEvent(db: Queryable, id: number, attempts: number): Promise<WebhookEventRow | undefined> {
    const [row] = await db.query<WebhookEventRow>(
      `UPDATE webhook_events SET state = 'processed', last_error = NULL, attempts = $2, processed_at = now()
       WHERE id = $1 AND state = 'pending' RETURNING *`,
      [id, attempts],
    );
    return row;
  },

  /** The events of this list still pending, locked for the caller's transaction (the set-based drain decides on them). */
  lockPendingEvents: (tx: Queryable, ids: readonly number[]) =>
    tx.query<WebhookEventRow>("SELECT * FROM webhook_events WHERE id = ANY($1::bigint[]) AND state = 'pending' ORDER BY id FOR UPDATE", [ids]),

  /**
   * takeEvent for many events locked by lockPendingEvents, each with its own attempt, in one
   * statement; returns how many it took.
   */
  async takeEvents(tx: Queryable, events: readonly { id: number; attempts: number }[]): Promise<number> {
    if (!events.length) return 0;
    const rows = await tx.query(
      prepared(`UPDATE webhook_events e SET state = 'processed', last_error = NULL, attempts = x.attempts, processed_at = now()
       FROM unnest($1::bigint[], $2::int[]) AS x(id, attempts)
       WHERE e.id = x.id AND e.state = 'pending' RETURNING e.id`),
      [events.map((e) => e.id), events.map((e) => e.attempts)],
    );
    return rows.length;
  },

  channelsByIds: (db: Queryable, ids: readonly string[]) =>
    db.query<ChannelRow>(prepared(`SELECT ${CHANNEL_COLUMNS} FROM line_channels WHERE id = ANY($1::uuid[])`), [ids]),

  /** The LINE users that exist among these (channel, user id) pairs, locked as ensureLineUser locks one. */
  lockLineUsers: (tx: Queryable, users: readonly { channelId: string; userId: string }[]) =>
    tx.query<LineUserRow>(
      `SELECT * FROM line_users WHERE (channel_id, user_id) IN (SELECT * FROM unnest($1::uuid[], $2::text[])) ORDER BY id FOR NO KEY UPDATE`,
      [users.map((u) => u.channelId), users.map((u) => u.userId)],
    ),

  /** Keeps a pending event that failed its last attempt (or whose worker stopped during it) for admins to look at and retry. */
  async parkEvent(db: Queryable, id: number, attempts: number, error: string) {
    await db.query("UPDATE webhook_events SET state = 'failed', last_error = $3, attempts = $2, processed_at = now() WHERE id = $1 AND state = 'pending'", [
      id,
      attempts,
      error,
    ]);
  },

  tenantEvents: (db: Queryable, tenantId: string, state: WebhookEventState | undefined, limit: number) =>
    db.query<WebhookEventRow & { line_channel_id: string }>(
      `SELECT e.*, c.channel_id AS line_channel_id FROM webhook_events e JOIN line_channels c ON c.id = e.channel_id
       WHERE c.tenant_id = $1 AND ($2::text IS NULL OR e.state = $2)
       ORDER BY e.received_at DESC, e.id DESC LIMIT $3`,
      [tenantId, state ?? null, limit],
    ),

  /** One of the tenant's events, locked for a state change (the retry of a parked event). */
  async lockTenantEvent(db: Queryable, tenantId: string, id: number): Promise<(WebhookEventRow & { line_channel_id: string }) | undefined> {
    const [row] = await db.query<WebhookEventRow & { line_channel_id: string }>(
      `SELECT e.*, c.channel_id AS line_channel_id FROM webhook_events e JOIN line_channels c ON c.id = e.channel_id
       WHERE c.tenant_id = $1 AND e.id = $2 FOR UPDATE OF e`,
      [tenantId, id],
    );
    return row;
  },

  /** Puts a parked event back to pending; its error stays until the next run replaces or clears it. */
  async reopenEvent(db: Queryable, id: number): Promise<WebhookEventRow> {
    const [row] = await db.query<WebhookEventRow>(
      "UPDATE webhook_events SET state = 'pending', processed_at = NULL, attempts = 0 WHERE id = $1 RETURNING *",
      [id],
    );
    return row!;
  },

  /** Makes sure the LINE user has a row (any event may be the first we hear of them). */
  async ensureLineUser(db: Queryable, channelId: string, userId: string): Promise<LineUserRow> {
    const [row] = await db.query<LineUserRow>(
      `INSERT INTO line_users (channel_id, user_id) VALUES ($1, $2)
       ON CONFLICT (channel_id, user_id) DO UPDATE SET user_id = EXCLUDED.user_id
       RETURNING *`,
      [channelId, userId],
    );
    return row!;
  },

  /**
   * Follow state follows the LINE user's own order of actions: an event is applied only if it
   * happened after the one that set the current state (LINE may deliver a follow late, after a
   * newer unfollow). Returns undefined when the event is older and changed nothing.
   */
  async setFollowState(db: Queryable, id: string, state: "followed" | "blocked", at: Date): Promise<LineUserRow | undefined> {
    const [row] = await db.query<LineUserRow>(
      `UPDATE line_users SET follow_state = $2,
         followed_at = CASE WHEN $2 = 'followed' THEN $3 ELSE followed_at END,
         blocked_at = CASE WHEN $2 = 'blocked' THEN $3 ELSE blocked_at END
       WHERE id = $1
         AND $3 >= coalesce(CASE follow_state WHEN 'followed' THEN followed_at WHEN 'blocked' THEN blocked_at END, '-infinity')
       RETURNING *`,
      [id, state, at],
    );
    return row;
  },

  async lineUser(db: Queryable, id: string): Promise<LineUserRow | undefined> {
    const [row] = await db.query<LineUserRow>("SELECT * FROM line_users WHERE id = $1", [id]);
    return row;
  },

  async lockLineUser(tx: Queryable, id: string): Promise<LineUserRow | undefined> {
    const [row] = await tx.query<LineUserRow>("SELECT * FROM line_users WHERE id = $1 FOR NO KEY UPDATE", [id]);
    return row;
  },

  async lineUserByUserId(db: Queryable, channelId: string, userId: string): Promise<LineUserRow | undefined> {
    const [row] = await db.query<LineUserRow>("SELECT * FROM line_users WHERE channel_id = $1 AND user_id = $2", [channelId, userId]);
    return row;
  },

  async saveProfile(db: Queryable, id: string, p: ProfileFields, at: Date): Promise<LineUserRow> {
    const [row] = await db.query<LineUserRow>(
      `UPDATE line_users SET display_name = $2, picture_url = $3, status_message = $4, language = $5, synced_at = $6, sync_requested_at = NULL, search_name = $7
       WHERE id = $1 RETURNING *`,
      [id, p.display_name, p.picture_url, p.status_message, p.language, at, foldForSearch(p.display_name ?? "")],
    );
    return row!;
  },

  async markSynced(db: Queryable, id: string, at: Date) {
    await db.query("UPDATE line_users SET synced_at = $2, sync_requested_at = NULL WHERE id = $1", [id, at]);
  },

  /**
   * Claims the right to queue a sync: true once until that sync stores its answer (which clears
   * the claim), however many events race; a claim older than `cooldownMs` is taken as lost.
   */
  async requestSync(db: Queryable, id: string, now: Date, cooldownMs: number): Promise<boolean> {
    const rows = await db.query(
      `UPDATE line_users SET sync_requested_at = $2
       WHERE id = $1 AND (sync_requested_at IS NULL OR sync_requested_at < $2::timestamptz - make_interval(secs => $3::double precision / 1000))
       RETURNING id`,
      [id, now, cooldownMs],
    );
    return rows.length > 0;
  },

  /** Releases a sync claim whose job found nothing to do (the profile was refreshed meanwhile). */
  async clearSyncRequest(db: Queryable, id: string) {
    await db.query("UPDATE line_users SET sync_requested_at = NULL WHERE id = $1", [id]);
  },

  async setPictureFile(db: Queryable, id: string, pictureUrl: string, key: string) {
    // Only when the URL is still the one fetched: a newer sync wins over a slow download.
    await db.query("UPDATE line_users SET picture_file_key = $3 WHERE id = $1 AND picture_url = $2", [id, pictureUrl, key]);
  },

  staleLineUsers: (db: Queryable, olderThan: Date, limit: number) =>
    db.query<LineUserRow>(
      `SELECT * FROM line_users WHERE follow_state = 'followed' AND (synced_at IS NULL OR synced_at < $1)
       ORDER BY synced_at NULLS FIRST LIMIT $2`,
      [olderThan, limit],
    ),

  async insertLoginState(db: Queryable, s: LoginStateRow) {
    await db.query(
      "INSERT INTO line_login_states (state, channel_id, nonce, code_verifier, purpose, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [s.state, s.channel_id, s.nonce, s.code_verifier, JSON.stringify(s.purpose), s.expires_at],
    );
  },

  /** Deletes and returns the state: a state can be used once, even by two racing callbacks. */
  async takeLoginState(db: Queryable, state: string): Promise<LoginStateRow | undefined> {
    const [row] = await db.query<LoginStateRow>("DELETE FROM line_login_states WHERE state = $1 RETURNING *", [state]);
    return row;
  },

  async purgeLoginStates(db: Queryable, now: Date) {
    await db.query("DELETE FROM line_login_states WHERE expires_at < $1", [now]);
  },
};
