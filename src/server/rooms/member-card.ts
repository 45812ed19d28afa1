import type { Logger } from "pino";
import { z } from "zod";
import { lineAccess } from "../directory/gate.ts";
import { directoryRepository, type MemberRow } from "../directory/repository.ts";
import { defineJob } from "../jobs/queue.ts";
import type { ChannelService } from "../line/channels.ts";
import { retryKeyFor, type LineClient, type LineMessage, type Sender } from "../line/client.ts";
import { lineLanguageOf, type LineLanguage } from "../line/language.ts";
import { lineRepository, type LineUserRow } from "../line/repository.ts";
import type { Database } from "../db/database.ts";
import { publish } from "../realtime/publish.ts";
import { messageRepository as repo, type AutomaticLine } from "./messages-repository.ts";

/**
 * What a LINE user sees of a member once they are connected (DESIGN §2.2): a card with the
 * member's directory photo and name and the company name as the fixed status line, then a
 * greeting in the LINE user's one language.
 */
const GREETING: Record<LineLanguage, (name: string, company: string) => string> = {
  en: (n, c) => `Hello, this is ${n} of ${c}. Messages you send in this chat reach me.`,
  ja: (n, c) => `${c}の${n}です。このトークに送っていただいたメッセージは私に届きます。`,
  ko: (n, c) => `${c}의 ${n}입니다. 이 대화방에 보내 주신 메시지는 저에게 전달됩니다.`,
};

/** LINE's Flex `altText` is what notifications and the chat list show. */
const ALT_MAX = 400;

export const greetingText = (lang: LineLanguage, name: string, company: string) => GREETING[lang](name, company);

export function memberCardMessages(member: Pick<MemberRow, "display_name">, company: string, photoUrl: string | undefined, lang: LineLanguage): LineMessage[] {
  const card: LineMessage = {
    type: "flex",
    altText: `${member.display_name} · ${company}`.slice(0, ALT_MAX),
    contents: {
      type: "bubble",
      size: "kilo",
      ...(photoUrl ? { hero: { type: "image", url: photoUrl, size: "full", aspectRatio: "1:1", aspectMode: "cover" } } : {}),
      body: {
        type: "box",
        layout: "vertical",
        spacing: "sm",
        contents: [
          { type: "text", text: member.display_name, weight: "bold", size: "lg", wrap: true },
          // The status line is the company name, fixed: no member can change it (DESIGN §2.2).
          { type: "text", text: company, size: "sm", color: "#8c8c8c", wrap: true },
        ],
      },
    },
  };
  return [card, { type: "text", text: greetingText(lang, member.display_name, company) }];
}

/**
 * The LINE user's language, asking LINE when no profile call has stored it yet: a LINE Login can
 * connect before the follow event's profile sync, and the ID token carries no language.
 */
export async function knownLanguage(client: LineClient, lineUser: LineUserRow): Promise<string | null> {
  if (lineUser.language) return lineUser.language;
  try {
    return (await client.getProfile(lineUser.user_id))?.language ?? null;
  } catch {
    return null; // LINE did not answer: the company's language, rather than no card at all
  }
}

/** Everything a LINE user sends out of order waits behind this key: the card comes before the picker. */
export const lineOutboxKey = (lineUserRowId: string) => `line-out:${lineUserRowId}`;

/**
 * Keeps what the account showed the LINE user in the member's room (the card, then the words under
 * it), so the member reads the conversation as the LINE user does; the open room refetches.
 */
export async function recordAutomatic(
  db: Database,
  m: { tenantId: string; roomId: string; memberId: string; lineMessageIds: string[]; retryKey: string | null; at: Date },
  lines: AutomaticLine[],
) {
  await db.transaction(async (tx) => {
    const rows = await repo.insertAutomatic(tx, { tenantId: m.tenantId, roomId: m.roomId, lines, lineMessageIds: m.lineMessageIds, retryKey: m.retryKey, at: m.at });
    if (rows.length)
      await publish(tx, { tenantId: m.tenantId, memberIds: [m.memberId], type: "message.created", data: { roomId: m.roomId, messageId: rows.at(-1)!.id } });
  });
}

export function createMemberIntroductions(deps: {
  channels: ChannelService;
  senderOf: (member: MemberRow) => Sender;
  log: Logger;
  clock: () => Date;
}) {
  /** Pushes the card; LINE is called outside any transaction. */
  const introduceJob = defineJob({
    kind: "rooms.introduce-member",
    payload: z.object({ roomId: z.uuid(), seed: z.string().max(200) }),
    outsideTransaction: true,
    async run({ roomId, seed }, { db }) {
      const room = await repo.roomContext(db, roomId);
      if (!room || room.friendship_state !== "active") return;
      const member = await directoryRepository.member(db, room.tenant_id, room.member_id);
      const tenant = (await directoryRepository.tenant(db, room.tenant_id))!;
      const lineUser = await lineRepository.lineUser(db, room.line_user_row_id);
      if (!member || !lineUser || !lineAccess(tenant, member).allowed) return;
      const channel = (await lineRepository.channel(db, room.channel_row_id))!;
      const client = await deps.channels.clientFor(channel, db);
      const sender = deps.senderOf(member);
      const lang = lineLanguageOf(await knownLanguage(client, lineUser), tenant.line_language);
      const messages = memberCardMessages(member, tenant.name, sender.iconUrl, lang);
      const retryKey = retryKeyFor(`${seed}:${roomId}`);
      const result = await client.push(room.line_user_id, messages, { sender, retryKey });
      if (result.state === "sent") {
        await recordAutomatic(db, { tenantId: room.tenant_id, roomId, memberId: member.id, lineMessageIds: result.sentMessageIds, retryKey, at: deps.clock() }, [
          { event: "card_sent", memberName: member.display_name, company: tenant.name },
          { event: "greeting_sent", text: greetingText(lang, member.display_name, tenant.name) },
        ]);
      } else {
        // 5xx/429 already had their retries inside push; the job's own retries come on top of those.
        if (result.status === null || result.status >= 500 || result.status === 429) throw new Error(`member card not delivered: ${result.reason}`);
        deps.log.warn({ roomId, reason: result.reason }, "LINE refused the member card");
      }
    },
  });
  return { introduceJob };
}
