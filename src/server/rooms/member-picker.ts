import type { Logger } from "pino";
import { z } from "zod";
import type { Queryable } from "../db/database.ts";
import { directoryRepository, type MemberRow } from "../directory/repository.ts";
import { defineJob } from "../jobs/queue.ts";
import type { ChannelService } from "../line/channels.ts";
import { retryKeyFor, type LineMessage, type Sender } from "../line/client.ts";
import { lineLanguageOf, type LineLanguage } from "../line/language.ts";
import { lineRepository } from "../line/repository.ts";
import { knownLanguage, memberCardMessages, recordAutomatic } from "./member-card.ts";
import { messageRepository as repo } from "./messages-repository.ts";

/**
 * A LINE user who befriended several members of a shared channel picks whom their messages go
 * to, with quick-reply buttons (DESIGN §3 "Shared channel routing"). LINE allows 13 quick-reply
 * items: past 13 members, 12 are shown and the 13th, "More", sends the next page.
 */
export const TALK_TO_PREFIX = "talk_to:";
export const MORE_PREFIX = "talk_more:";
const QUICK_REPLY_MAX = 13;
/** LINE's limit on a quick-reply button's label. */
const LABEL_MAX = 20;

const TEXT: Record<
  LineLanguage,
  { offer: (current: string) => string; more: string; moreLabel: string; talkTo: (name: string) => string; picked: (name: string) => string }
> = {
  en: {
    offer: (c) => `Your messages now go to ${c}. To talk to someone else, pick them below.`,
    more: "More people you can talk to — pick one below.",
    moreLabel: "More…",
    talkTo: (n) => `Talk to ${n}`,
    picked: (n) => `Your messages now go to ${n}.`,
  },
  ja: {
    offer: (c) => `メッセージは現在${c}に届きます。ほかの担当者と話すには、下から選んでください。`,
    more: "ほかの担当者です。下から選んでください。",
    moreLabel: "もっと見る",
    talkTo: (n) => `${n}と話す`,
    picked: (n) => `これからのメッセージは${n}に届きます。`,
  },
  ko: {
    offer: (c) => `메시지는 지금 ${c}님에게 전달됩니다. 다른 담당자와 대화하려면 아래에서 선택하세요.`,
    more: "다른 담당자입니다. 아래에서 선택하세요.",
    moreLabel: "더 보기…",
    talkTo: (n) => `${n}님과 대화`,
    picked: (n) => `이제부터 메시지는 ${n}님에게 전달됩니다.`,
  },
};

const label = (s: string) => (s.length > LABEL_MAX ? `${s.slice(0, LABEL_MAX - 1)}…` : s);

/** One page of the picker: the text, then up to 13 buttons (the last one "More" when others remain). */
export function pickerMessage(friends: { member_id: string; display_name: string }[], text: string, lang: LineLanguage, offset = 0): LineMessage {
  const rest = friends.slice(offset);
  const paged = rest.length > QUICK_REPLY_MAX;
  const shown = paged ? rest.slice(0, QUICK_REPLY_MAX - 1) : rest;
  const t = TEXT[lang];
  const items = shown.map((f) => ({
    type: "action" as const,
    action: { type: "postback" as const, label: label(f.display_name), data: `${TALK_TO_PREFIX}${f.member_id}`, displayText: t.talkTo(f.display_name) },
  }));
  if (paged)
    items.push({
      type: "action",
      action: { type: "postback", label: t.moreLabel, data: `${MORE_PREFIX}${offset + shown.length}`, displayText: t.moreLabel },
    });
  return { type: "text", text, quickReply: { items } };
}

/** One key per job, the same on each of its attempts: a job retried after a crash that followed LINE's answer sends nothing twice. */
const retryKeyOf = (kind: string, jobId: number) => retryKeyFor(`${kind}:${jobId}`);

export function createMemberPicker(deps: { channels: ChannelService; senderOf: (member: MemberRow) => Sender; log: Logger; clock: () => Date }) {
  async function context(db: Queryable, lineUserId: string) {
    const lineUser = await lineRepository.lineUser(db, lineUserId);
    if (!lineUser || lineUser.follow_state === "blocked") return undefined;
    const channel = (await lineRepository.channel(db, lineUser.channel_id))!;
    const tenant = (await directoryRepository.tenant(db, channel.tenant_id))!;
    const client = await deps.channels.clientFor(channel, db);
    return { lineUser, channel, tenant, client, lang: lineLanguageOf(await knownLanguage(client, lineUser), tenant.line_language) };
  }

  /** Several members now: say who gets the messages and offer the others. */
  const offerJob = defineJob({
    kind: "rooms.offer-routing",
    payload: z.object({ lineUserId: z.uuid(), offset: z.number().int().min(0).default(0), replyToken: z.string().optional() }),
    outsideTransaction: true,
    async run({ lineUserId, offset, replyToken }, { db, jobId }) {
      const ctx = await context(db, lineUserId);
      if (!ctx || ctx.channel.mode !== "shared") return;
      const friends = await repo.activeFriendsOf(db, lineUserId);
      if (friends.length < 2 || offset >= friends.length) return;
      const current = friends.find((f) => f.member_id === ctx.lineUser.current_member_id) ?? friends[0]!;
      const text = offset === 0 ? TEXT[ctx.lang].offer(current.display_name) : TEXT[ctx.lang].more;
      const client = ctx.client;
      const messages = [pickerMessage(friends, text, ctx.lang, offset)];
      const to = ctx.lineUser.user_id;
      const retryKey = retryKeyOf("rooms.offer-routing", jobId);
      const result = replyToken ? await client.reply(replyToken, messages, { fallback: { to, retryKey } }) : await client.push(to, messages, { retryKey });
      if (result.state === "failed") deps.log.warn({ lineUserId, reason: result.reason }, "LINE refused the member picker");
    },
  });

  /** The LINE user picked a member: that member's card, and who gets their messages from now on. */
  const pickedJob = defineJob({
    kind: "rooms.member-picked",
    payload: z.object({ lineUserId: z.uuid(), memberId: z.uuid(), replyToken: z.string().optional() }),
    outsideTransaction: true,
    async run({ lineUserId, memberId, replyToken }, { db, jobId }) {
      const ctx = await context(db, lineUserId);
      if (!ctx) return;
      const member = await directoryRepository.member(db, ctx.tenant.id, memberId);
      if (!member) return;
      const sender = deps.senderOf(member);
      const [card] = memberCardMessages(member, ctx.tenant.name, sender.iconUrl, ctx.lang);
      const picked = TEXT[ctx.lang].picked(member.display_name);
      const messages: LineMessage[] = [card!, { type: "text", text: picked }];
      const client = ctx.client;
      const to = ctx.lineUser.user_id;
      const result = replyToken
        ? await client.reply(replyToken, messages, { sender, fallback: { to, retryKey: retryKeyOf("rooms.member-picked", jobId) } })
        : await client.push(to, messages, { sender, retryKey: retryKeyOf("rooms.member-picked", jobId) });
      if (result.state === "failed") {
        deps.log.warn({ lineUserId, reason: result.reason }, "LINE refused the picked member's card");
        return;
      }
      // The picked member's room shows what the LINE user was just shown.
      const room = await repo.roomOf(db, member.id, lineUserId);
      if (room)
        await recordAutomatic(db, { tenantId: room.tenant_id, roomId: room.id, memberId: member.id, lineMessageIds: result.sentMessageIds, retryKey: null, at: deps.clock() }, [
          { event: "card_sent", memberName: member.display_name, company: ctx.tenant.name },
          { event: "greeting_sent", text: picked },
        ]);
    },
  });

  return { offerJob, pickedJob };
}
