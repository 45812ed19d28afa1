import type { SendMailOptions } from "nodemailer";

export type DigestLocale = "en" | "ja" | "ko";

export interface DigestRoom {
  name: string | null;
  unread: number;
  preview: string | null;
  url: string;
}

const WORDS = {
  en: {
    subject: (n: number) => `Unread LINE messages in ${n} ${n === 1 ? "room" : "rooms"} — Tsunagu`,
    intro: (name: string) => `${name}, these LINE users are waiting for an answer:`,
    unread: (n: number) => `${n} unread`,
    unknown: "LINE user",
    settings: "You get this e-mail because you turned on the digest in Tsunagu (Me → Notifications).",
  },
  ja: {
    subject: (n: number) => `未読の LINE メッセージ（${n} 件のトークルーム）— Tsunagu`,
    intro: (name: string) => `${name} さん、返信を待っている LINE ユーザーがいます。`,
    unread: (n: number) => `未読 ${n} 件`,
    unknown: "LINE ユーザー",
    settings: "Tsunagu で未読のお知らせメールをオンにしているため、このメールが届きました（自分 → 通知）。",
  },
  ko: {
    subject: (n: number) => `읽지 않은 LINE 메시지 (대화방 ${n}개) — Tsunagu`,
    intro: (name: string) => `${name} 님, 답장을 기다리는 LINE 사용자가 있습니다.`,
    unread: (n: number) => `읽지 않은 메시지 ${n}개`,
    unknown: "LINE 사용자",
    settings: "Tsunagu에서 읽지 않은 메시지 요약 메일을 켜 두어 이 메일이 전송되었습니다 (나 → 알림).",
  },
} as const;

/** The digest as plain text: names and previews come from LINE users, and text cannot carry markup. */
export function composeDigestEmail(input: { locale: DigestLocale; memberName: string; rooms: DigestRoom[]; from: string; to: string }): SendMailOptions {
  const w = WORDS[input.locale];
  const lines = input.rooms.flatMap((r) => [`• ${r.name ?? w.unknown} (${w.unread(r.unread)})`, ...(r.preview ? [`  ${r.preview}`] : []), `  ${r.url}`, ""]);
  return {
    from: input.from,
    to: input.to,
    subject: w.subject(input.rooms.length),
    text: [w.intro(input.memberName), "", ...lines, "—", w.settings].join("\n"),
  };
}
