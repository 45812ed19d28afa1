import type { Logger } from "pino";
import { z } from "zod";
import type { MessageNotice, NotificationSettings, PushSubscriptionInput } from "../../shared/notifications.ts";
import { previewLine } from "../../shared/rooms.ts";
import type { Database, Queryable } from "../db/database.ts";
import { lineAccess } from "../directory/gate.ts";
import { directoryRepository } from "../directory/repository.ts";
import type { Auth } from "../directory/service.ts";
import { Problem } from "../http/problem.ts";
import { defineJob, enqueueFromQuery } from "../jobs/queue.ts";
import type { SecretBox } from "../line/secrets.ts";
import { livePresence } from "../realtime/presence.ts";
import type { Mailer } from "../mail/mailer.ts";
import { composeDigestEmail } from "./digest-mail.ts";
import { notificationRepository as repo } from "./repository.ts";
import { loadVapidKeys, type VapidKeys } from "./vapid.ts";
import { isAllowedEndpoint, sendPush } from "./web-push.ts";

export const DEFAULT_SETTINGS: NotificationSettings = { desktop: true, sound: true, digestMinutes: null, language: "en" };
const DIGEST_EVERY_MS = 60_000;
const DIGEST_BATCH = 500;

export interface NotificationDeps {
  db: Database;
  box: SecretBox;
  clock: () => Date;
  log: Logger;
  /** The VAPID `sub` claim: how a push service reaches the operator (https: URL or mailto:). */
  subject: string;
  /** Accept plain-HTTP loopback push endpoints (the emulator set-up and tests; web-push.ts). */
  allowLoopbackHttp: boolean;
  mailer: () => Mailer;
  mailFrom: string;
  /** Where the digest's links to rooms point. */
  publicBaseUrl: () => string;
}

/**
 * Telling a member that a LINE user wrote (issue 14): their settings, their devices' Web Push
 * subscriptions, and the push sent when a message arrives while no web app of theirs is open
 * (an open one shows its own badge and notification from the real-time stream).
 */
export function createNotifications(deps: NotificationDeps) {
  const { db, clock } = deps;
  let vapid: Promise<VapidKeys> | undefined;
  // Loaded on first use, once per process; a failed load is tried again next time.
  const vapidKeys = () =>
    (vapid ??= loadVapidKeys(db, deps.box).catch((err: unknown) => {
      vapid = undefined;
      throw err;
    }));

  const pushJob = defineJob({
    kind: "notifications.push",
    payload: z.object({ messageId: z.uuid() }),
    // Calls push services on the Internet: no transaction held meanwhile (PGlite has one connection).
    outsideTransaction: true,
    maxAttempts: 3,
    async run({ messageId }, { log }) {
      const notice = await repo.inboundNotice(db, messageId);
      // Read already (on another device), or taken back by the LINE user: nothing to announce.
      if (!notice || notice.unread_count === 0 || notice.unsent) return;
      // A member the administrator no longer lets chat with LINE users hears nothing of it (DESIGN §2.1).
      const [tenant, member] = await Promise.all([directoryRepository.tenant(db, notice.tenant_id), directoryRepository.member(db, notice.tenant_id, notice.member_id)]);
      if (!tenant || !member || !lineAccess(tenant, member).allowed) return;
      const now = clock();
      if (await livePresence.isLive(db, notice.member_id, now)) return;
      const subscriptions = await repo.liveSubscriptions(db, notice.member_id, now);
      if (!subscriptions.length) return;
      const keys = await vapidKeys();
      for (const s of subscriptions) {
        // Each device in the language its web app shows ("[画像]", not "[Image]", on a Japanese phone).
        const body = notice.preview_type ? previewLine(notice.preview_type, notice.preview ?? "", s.language) : (notice.preview ?? "");
        const payload: MessageNotice = { roomId: notice.room_id, messageId: notice.message_id, title: notice.display_name ?? "LINE", body };
        // The room as topic: a newer push replaces one for the same room the device has not fetched yet.
        const outcome = await sendPush(s, payload, { vapid: keys, subject: deps.subject, topic: notice.room_id.replaceAll("-", "") });
        if (outcome === "gone") await repo.deleteSubscriptionById(db, s.id);
        // Not retried: a second round would repeat the push to the devices that did get it.
        else if (outcome === "failed") log.warn({ subscriptionId: s.id }, "a push service did not accept a notification");
      }
    },
  });

  /**
   * Every minute: members whose rooms have stayed unread for their N minutes get one e-mail listing
   * them. Sent before the mark is moved (at least once, like all mail); a room is mailed again only
   * when newer messages in it have waited N minutes too.
   */
  const digestJob = defineJob({
    kind: "notifications.digest",
    payload: z.object({}),
    everyMs: DIGEST_EVERY_MS,
    outsideTransaction: true,
    async run() {
      const now = clock();
      const rows = await repo.dueDigests(db, now, DIGEST_BATCH);
      const byMember = new Map<string, typeof rows>();
      for (const r of rows) byMember.set(r.member_id, [...(byMember.get(r.member_id) ?? []), r]);
      for (const [memberId, rooms] of byMember) {
        const first = rooms[0]!;
        const [tenant, member] = await Promise.all([directoryRepository.tenant(db, first.tenant_id), directoryRepository.member(db, first.tenant_id, memberId)]);
        const through = new Date(now.getTime() - first.digest_minutes * 60_000);
        if (tenant && member && lineAccess(tenant, member).allowed) {
          await deps.mailer().send(
            composeDigestEmail({
              locale: first.language,
              memberName: member.display_name,
              from: deps.mailFrom,
              to: member.email,
              rooms: rooms.map((r) => ({
                name: r.display_name,
                unread: r.unread_count,
                preview: r.preview_type ? previewLine(r.preview_type, r.preview ?? "", first.language) : r.preview,
                url: `${deps.publicBaseUrl()}/message/${r.room_id}`,
              })),
            }),
          );
        }
        await repo.markDigested(db, memberId, through);
      }
    },
  });

  return {
    jobs: [pushJob, digestJob],

    /**
     * Called in the transaction that stores an inbound message: the push is decided once it
     * committed. Only a member with a device subscribed gets a job at all — most have none, and
     * a job that finds nothing to do cost six statements per LINE message. Many messages (the
     * set-based drain) are one statement, their jobs in the messages' order.
     */
    onInboundMessages: async (tx: Queryable, messageIds: readonly string[]) => {
      await enqueueFromQuery(tx, pushJob, {
        sql: `SELECT jsonb_build_object('messageId', m.id) AS payload, NULL::text AS ordering_key, NULL::timestamptz AS ordered_at,
                     NULL::timestamptz AS run_at, 0 AS part
              FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, ord) JOIN messages m ON m.id = x.id JOIN rooms r ON r.id = m.room_id
              WHERE EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.member_id = r.member_id)
              ORDER BY x.ord`,
        params: [messageIds],
      });
    },

    async settings(auth: Auth): Promise<NotificationSettings> {
      const row = await repo.settings(db, auth.member.id);
      return row ? { desktop: row.desktop, sound: row.sound, digestMinutes: row.digest_minutes, language: row.language } : DEFAULT_SETTINGS;
    },

    async saveSettings(auth: Auth, s: NotificationSettings): Promise<NotificationSettings> {
      await repo.saveSettings(db, auth.member.id, { desktop: s.desktop, sound: s.sound, digest_minutes: s.digestMinutes, language: s.language }, clock());
      return s;
    },

    publicKey: async () => (await vapidKeys()).publicKey,

    async subscribe(auth: Auth, s: PushSubscriptionInput) {
      if (!isAllowedEndpoint(s.endpoint, deps.allowLoopbackHttp))
        throw new Problem(400, "push_endpoint_refused", "Not a push service address", "Push subscriptions must point at an HTTPS push service.");
      await repo.saveSubscription(db, {
        memberId: auth.member.id,
        sessionTokenHash: auth.sessionTokenHash,
        endpoint: s.endpoint,
        p256dh: s.keys.p256dh,
        auth: s.keys.auth,
        language: s.language,
      });
    },

    unsubscribe: (auth: Auth, endpoint: string) => repo.deleteSubscription(db, auth.member.id, endpoint),

    /** Members the LINE gate keeps out have no LINE rooms to speak of (rooms/routes.ts hides them). */
    async unread(auth: Auth) {
      if (!lineAccess(auth.tenant, auth.member).allowed) return { total: 0, rooms: 0 };
      return repo.unreadSummary(db, auth.member.id);
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
