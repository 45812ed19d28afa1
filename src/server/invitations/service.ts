import crypto from "node:crypto";
import type { webhook } from "@line/bot-sdk";
import type { Logger } from "pino";
import { LoginIdSchema } from "../../shared/directory.ts";
import { LocaleSchema, type InvitationVia, type Locale } from "../../shared/invitations.ts";
import { writeAudit } from "../audit/audit.ts";
import type { Database, Queryable } from "../db/database.ts";
import { assertLineAccess, lineAccess } from "../directory/gate.ts";
import { directoryRepository, type MemberRow, type TenantRow } from "../directory/repository.ts";
import type { Auth } from "../directory/service.ts";
import { sniffImage } from "../files/content-policy.ts";
import type { FileStore } from "../files/store.ts";
import { Problem } from "../http/problem.ts";
import { z } from "zod";
import { defineJob, enqueue } from "../jobs/queue.ts";
import type { ChannelService } from "../line/channels.ts";
import { retryKeyFor, type LineMessage } from "../line/client.ts";
import { isStandby, type LineEventContext, type LineEventHandlers } from "../line/handlers.ts";
import type { ProfileSync } from "../line/profile-sync.ts";
import { lineLanguageOf } from "../line/language.ts";
import type { LineLogin, LoginResult } from "../line/login.ts";
import { lineRepository, type ChannelRow } from "../line/repository.ts";
import type { Mailer } from "../mail/mailer.ts";
import { befriend, friendshipsOfLineUser, type RoomNotifier } from "../rooms/friendships.ts";
import { lineOutboxKey } from "../rooms/member-card.ts";
import { cpuTask, type CpuPool } from "../cpu/pool.ts";
import type * as Images from "./images.ts";
import { composeInvitationEmail, invitationCopyText } from "./invitation-mail.ts";
import { invitationRepository as repo } from "./repository.ts";
import { replyText } from "./replies.ts";

export const MAIL_RECIPIENTS_PER_REQUEST = 10;
export const MAIL_RECIPIENTS_PER_DAY = 50;
// A follow without an invitation waits this long for the LINE Login callback (which may race it)
// before the LINE user is asked for a Message ID.
const ASK_DELAY_MS = 8_000;

/** 24 random bytes: 192 bits, unguessable, URL-safe. */
const newToken = () => crypto.randomBytes(24).toString("base64url");
const QR_PNG = cpuTask<typeof Images, "qrPngTask">(new URL("./images.ts", import.meta.url), "qrPngTask");
const CARD_PNG = cpuTask<typeof Images, "businessCardPngTask">(new URL("./images.ts", import.meta.url), "businessCardPngTask");

export interface InvitationDeps {
  db: Database;
  files: FileStore;
  channels: ChannelService;
  login: LineLogin;
  profiles: ProfileSync;
  mailer: () => Mailer;
  mailFrom: string;
  publicBaseUrl: () => string;
  /** Where a LINE user lands after befriending: LINE's chat with the account (or the emulator's). */
  chatUrl: (channel: ChannelRow) => string;
  notify: RoomNotifier;
  /** Where the QR and card images are drawn, off the event loop. */
  cpu: CpuPool;
  clock: () => Date;
  log: Logger;
}

export type LandingState =
  | { kind: "ok"; member: MemberRow; tenant: TenantRow; channel: ChannelRow }
  | { kind: "invalid" }
  | { kind: "unavailable"; reason: string };

export function createInvitationService(deps: InvitationDeps) {
  const { db, clock } = deps;
  const qrPng = async (url: string) => Buffer.from(await deps.cpu.run(QR_PNG, { url }));
  const linkUrl = (token: string, via?: InvitationVia) => `${deps.publicBaseUrl()}/i/${token}${via && via !== "link" ? `?via=${via}` : ""}`;

  async function currentLink(tx: Queryable, member: MemberRow) {
    const link = await repo.linkOf(tx, member.id);
    // A link made for an earlier member ID is dead; the member gets a fresh one.
    if (link && link.issued_for_login_id.toLowerCase() === member.login_id.toLowerCase()) return link;
    return repo.saveLink(tx, member, newToken());
  }

  async function photoOf(member: MemberRow) {
    if (!member.photo_key) return null;
    const bytes = await deps.files.get(member.photo_key);
    const type = bytes && (await sniffImage(bytes));
    return bytes && type ? { bytes, type } : null;
  }

  async function landing(token: string): Promise<LandingState> {
    const memberId = await repo.memberIdByToken(db, token);
    if (!memberId) return { kind: "invalid" };
    const [row] = await db.query<{ tenant_id: string }>("SELECT tenant_id FROM members WHERE id = $1", [memberId]);
    const member = (await directoryRepository.member(db, row!.tenant_id, memberId))!;
    const tenant = (await directoryRepository.tenant(db, member.tenant_id))!;
    const access = lineAccess(tenant, member);
    if (!access.allowed) return { kind: "unavailable", reason: "not_allowed" };
    const channel = await repo.channelForMember(db, tenant.id, member.id);
    if (!channel?.login_channel_id) return { kind: "unavailable", reason: "no_channel" };
    return { kind: "ok", member, tenant, channel };
  }

  /** Befriends when the member may still use LINE; returns the room or why not. */
  async function befriendIfAllowed(tx: Queryable, channel: ChannelRow, lineUserId: string, member: MemberRow, via: InvitationVia | "message_id" | "follow") {
    const tenant = (await directoryRepository.tenant(tx, member.tenant_id))!;
    if (!lineAccess(tenant, member).allowed) return undefined;
    const result = await befriend(tx, { tenantId: tenant.id, memberId: member.id, lineUserId, via }, deps.notify);
    if (result.created)
      await writeAudit(tx, { tenantId: tenant.id, actorId: member.id, action: "friendship.create", targetType: "room", targetId: result.room.id, detail: { via } });
    return result;
  }

  async function completeLogin(result: LoginResult): Promise<{ redirect: string }> {
    const { token, via } = result.purpose as { token?: string; via?: InvitationVia };
    const fail = (reason: string) => ({ redirect: `${deps.publicBaseUrl()}/i/${encodeURIComponent(token ?? "-")}?result=${reason}` });
    if (!token) return fail("invalid");
    const state = await landing(token);
    if (state.kind !== "ok") return fail(state.kind);
    const created = await db.transaction(async (tx) => {
      const known = await lineRepository.ensureLineUser(tx, result.channel.id, result.lineUserId);
      // The ID token is LINE's profile of seconds ago: newer than any copy we hold.
      const lineUser = await deps.profiles.applyLoginProfile(tx, result.channel, known, result);
      return befriendIfAllowed(tx, result.channel, lineUser.id, state.member, via ?? "link");
    });
    if (!created) return fail("unavailable");
    // LINE's chat link needs the bot's basic ID: a channel that never learnt it asks LINE now.
    const channel = result.channel.basic_id ? result.channel : await deps.channels.refreshBotInfo(result.channel);
    return { redirect: deps.chatUrl(channel) };
  }
  deps.login.setCompletion(completeLogin);

  /** Says `text` to a LINE user: a reply to their event while its token lasts, else a push. Never inside a transaction. */
  async function send(channel: ChannelRow, lineUser: { user_id: string }, to: { replyToken?: string; webhookEventId: string }, text: string) {
    const client = await deps.channels.clientFor(channel, db);
    const messages: LineMessage[] = [{ type: "text", text }];
    const retryKey = retryKeyFor(`reply:${to.webhookEventId}`);
    const result = to.replyToken
      ? await client.reply(to.replyToken, messages, { fallback: { to: lineUser.user_id, retryKey } })
      : await client.push(lineUser.user_id, messages, { retryKey });
    if (result.state === "failed") deps.log.warn({ reason: result.reason }, "LINE reply failed");
  }

  /**
   * An answer decided while handling an event is sent by a job once the event's transaction has
   * committed: a slow LINE then holds no connection, and an event retried after a rollback does
   * not speak twice. It shares the LINE user's outbox key, so it keeps its place among the cards.
   */
  const sayJob = defineJob({
    kind: "invitations.say",
    payload: z.object({ lineUserId: z.uuid(), replyToken: z.string().optional(), webhookEventId: z.string(), text: z.string().min(1).max(5000) }),
    outsideTransaction: true,
    async run(p, { db: q }) {
      const lineUser = await lineRepository.lineUser(q, p.lineUserId);
      if (!lineUser || lineUser.follow_state === "blocked") return;
      await send((await lineRepository.channel(q, lineUser.channel_id))!, lineUser, p, p.text);
    },
  });
  const say = (ctx: LineEventContext, ev: { replyToken?: string; webhookEventId: string }, text: string) =>
    enqueue(ctx.tx, sayJob, { lineUserId: ctx.lineUser.id, replyToken: ev.replyToken, webhookEventId: ev.webhookEventId, text }, { orderingKey: lineOutboxKey(ctx.lineUser.id) });

  const lineHandlers: LineEventHandlers = {
    async follow(ctx, ev) {
      if (isStandby(ev)) return;
      const channel = ctx.channel;
      if (channel.mode === "dedicated" && channel.dedicated_member_id) {
        const member = await directoryRepository.member(ctx.tx, channel.tenant_id, channel.dedicated_member_id);
        if (member) await befriendIfAllowed(ctx.tx, channel, ctx.lineUser.id, member, "follow");
        return;
      }
      if ((await friendshipsOfLineUser(ctx.tx, ctx.lineUser.id)).length > 0) return;
      await enqueue(
        ctx.tx,
        askMessageIdJob,
        { channelId: channel.id, lineUserId: ctx.lineUser.id, replyToken: ev.replyToken, webhookEventId: ev.webhookEventId },
        { runAt: new Date(clock().getTime() + ASK_DELAY_MS) },
      );
    },

    /**
     * My Message ID search: a text that is a member's ID in this company befriends that member. The
     * ID is a search, not a message to the member, so it never lands in their room as unread.
     */
    async message(ctx, ev) {
      if (ev.message.type !== "text" || ctx.channel.mode !== "shared" || isStandby(ev)) return;
      const text = (ev.message as webhook.TextMessageContent).text.trim();
      const friendships = await friendshipsOfLineUser(ctx.tx, ctx.lineUser.id);
      const looksLikeId = LoginIdSchema.safeParse(text).success;
      const member = looksLikeId ? await repo.memberByMessageId(ctx.tx, ctx.channel.tenant_id, text) : undefined;
      // Someone already talking to a member is chatting, not searching; the rooms feature takes the message.
      if (!member && friendships.length > 0) return;
      const tenant = (await directoryRepository.tenant(ctx.tx, ctx.channel.tenant_id))!;
      const lang = lineLanguageOf(ctx.lineUser.language, tenant.line_language);
      if (member) {
        // Connected: the member's card and greeting follow (rooms/member-card.ts); only a refusal is said here.
        const done = await befriendIfAllowed(ctx.tx, ctx.channel, ctx.lineUser.id, member, "message_id");
        if (!done) await say(ctx, ev, replyText(lang, "unavailable", member.display_name, tenant.name));
        return "consumed";
      }
      await say(ctx, ev, replyText(lang, looksLikeId ? "unknown_id" : "ask_id", text, tenant.name));
      return "consumed";
    },

    /** The set-based drain: a message passes untouched where `message` would return without acting (chatting, not searching). */
    async messages(tx, batch) {
      const searched = batch.flatMap((b, i) => (b.ev.message.type === "text" && b.channel.mode === "shared" && !isStandby(b.ev) ? [i] : []));
      const found = searched.length
        ? await repo.searchesOf(
            tx,
            searched.map((i) => {
              const b = batch[i]!;
              const text = (b.ev.message as webhook.TextMessageContent).text.trim();
              return { lineUserId: b.lineUser.id, tenantId: b.channel.tenant_id, idText: LoginIdSchema.safeParse(text).success ? text : null };
            }),
          )
        : [];
      const passes = batch.map(() => true);
      for (const f of found) passes[searched[f.i]!] = f.friends && !f.names_member;
      return { accepts: passes, apply: async () => undefined };
    },
  };

  /** A follow with no invitation behind it: ask for a Message ID, unless an invitation's login befriended them meanwhile. */
  const askMessageIdJob = defineJob({
    kind: "invitations.ask-message-id",
    payload: z.object({ channelId: z.uuid(), lineUserId: z.uuid(), replyToken: z.string().optional(), webhookEventId: z.string() }),
    outsideTransaction: true,
    async run(p, { db: q }) {
      if ((await friendshipsOfLineUser(q, p.lineUserId)).length > 0) return;
      const channel = (await lineRepository.channel(q, p.channelId))!;
      const lineUser = (await lineRepository.lineUser(q, p.lineUserId))!;
      if (lineUser.follow_state === "blocked") return;
      const tenant = (await directoryRepository.tenant(q, channel.tenant_id))!;
      await send(channel, lineUser, p, replyText(lineLanguageOf(lineUser.language, tenant.line_language), "ask_id", "", tenant.name));
    },
  });

  const emailJob = defineJob({
    kind: "invitations.email",
    payload: z.object({ tenantId: z.uuid(), memberId: z.uuid(), to: z.array(z.string()), locale: LocaleSchema, note: z.string().optional() }),
    outsideTransaction: true,
    async run(p, { tx: q }) {
      const member = await directoryRepository.member(q, p.tenantId, p.memberId);
      const tenant = await directoryRepository.tenant(q, p.tenantId);
      if (!member || !tenant) return;
      const link = await currentLink(q, member);
      const url = linkUrl(link.token, "email");
      const message = composeInvitationEmail({
        locale: p.locale,
        memberName: member.display_name,
        companyName: tenant.name,
        url,
        qrPng: await qrPng(url),
        personalNote: p.note,
        from: deps.mailFrom,
        to: p.to,
      });
      await deps.mailer().send({ ...message, replyTo: member.email });
    },
  });

  return {
    lineHandlers,
    jobs: [askMessageIdJob, sayJob, emailJob],
    landing,

    async invitation(auth: Auth, locale: Locale) {
      assertLineAccess(auth.tenant, auth.member);
      const link = await currentLink(db, auth.member);
      return {
        url: linkUrl(link.token),
        messageId: auth.member.login_id,
        copyText: invitationCopyText(locale, auth.member.display_name, auth.tenant.name, linkUrl(link.token, "copy_link")),
        createdAt: link.created_at,
      };
    },

    async resetLink(auth: Auth) {
      assertLineAccess(auth.tenant, auth.member);
      await db.transaction(async (tx) => {
        await repo.saveLink(tx, auth.member, newToken());
        await writeAudit(tx, { tenantId: auth.tenant.id, actorId: auth.member.id, action: "invitation.reset", targetType: "member", targetId: auth.member.id });
      });
    },

    async qrPng(auth: Auth) {
      assertLineAccess(auth.tenant, auth.member);
      const link = await currentLink(db, auth.member);
      return qrPng(linkUrl(link.token, "qr"));
    },

    async cardPng(auth: Auth, locale: Locale) {
      assertLineAccess(auth.tenant, auth.member);
      const link = await currentLink(db, auth.member);
      const m = auth.member;
      return Buffer.from(
        await deps.cpu.run(CARD_PNG, {
          displayName: m.display_name,
          companyName: auth.tenant.name,
          department: m.department,
          phone: m.phone,
          email: m.email,
          photo: await photoOf(m),
          qrUrl: linkUrl(link.token, "card"),
          locale,
        }),
      );
    },

    /** Queues the e-mail (the job sends it through SMTP, with retries); limits recipients per request and per day. */
    async sendEmail(auth: Auth, body: { to: string[]; locale: Locale; note?: string }) {
      assertLineAccess(auth.tenant, auth.member);
      const to = [...new Set(body.to.map((a) => a.toLowerCase()))];
      if (to.length > MAIL_RECIPIENTS_PER_REQUEST)
        throw new Problem(422, "too_many_recipients", "Too many recipients", `Send to at most ${MAIL_RECIPIENTS_PER_REQUEST} addresses at a time.`, {
          params: { max: MAIL_RECIPIENTS_PER_REQUEST },
        });
      const since = new Date(clock().getTime() - 24 * 3600_000);
      return db.transaction(async (tx) => {
        const sent = await repo.mailRecipientsSince(tx, auth.member.id, since);
        if (sent + to.length > MAIL_RECIPIENTS_PER_DAY)
          throw new Problem(429, "daily_mail_limit", "Daily invitation e-mail limit reached", `You can invite ${Math.max(0, MAIL_RECIPIENTS_PER_DAY - sent)} more addresses in the next 24 hours.`, {
            params: { remaining: Math.max(0, MAIL_RECIPIENTS_PER_DAY - sent) },
          });
        await repo.recordMailSend(tx, auth.member.id, to.length);
        await enqueue(tx, emailJob, { tenantId: auth.tenant.id, memberId: auth.member.id, to, locale: body.locale, note: body.note });
        await writeAudit(tx, { tenantId: auth.tenant.id, actorId: auth.member.id, action: "invitation.email", targetType: "member", targetId: auth.member.id, detail: { recipients: to.length } });
        return { queued: to.length };
      });
    },

    /** The landing page's "Add friend": starts LINE Login with the invitation as its purpose. */
    async startFriendAdd(token: string, via: InvitationVia) {
      const state = await landing(token);
      if (state.kind !== "ok") return state;
      const { url } = await deps.login.beginLogin(state.channel, { kind: "invitation", token, via });
      return { kind: "redirect" as const, url };
    },

    async memberPhoto(token: string) {
      const state = await landing(token);
      return state.kind === "ok" ? photoOf(state.member) : null;
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
