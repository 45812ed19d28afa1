import type { LineLanguage } from "../line/language.ts";

/**
 * What the company's LINE account says to a LINE user during friend-add, in the one language
 * chosen for that LINE user (line/language.ts). Once connected, the member's card greets them
 * (rooms/member-card.ts).
 */
type Kind = "ask_id" | "unknown_id" | "unavailable";

const TEXT: Record<LineLanguage, Record<Kind, (name: string, company: string) => string>> = {
  en: {
    ask_id: (_n, c) => `Thanks for adding ${c}! Please send the Message ID of the person you want to talk to.`,
    unknown_id: (id) => `Sorry, we could not find anyone with the Message ID "${id}". Please check it and send it again.`,
    unavailable: (n) => `Sorry, ${n} cannot chat on LINE at the moment.`,
  },
  ja: {
    ask_id: (_n, c) => `${c}を友だち追加いただきありがとうございます。お話ししたい担当者のメッセージIDを送信してください。`,
    unknown_id: (id) => `申し訳ありません。メッセージID「${id}」の担当者が見つかりませんでした。ご確認のうえ、もう一度送信してください。`,
    unavailable: (n) => `申し訳ありません。${n}は現在LINEでのやり取りができません。`,
  },
  ko: {
    ask_id: (_n, c) => `${c}을(를) 친구로 추가해 주셔서 감사합니다. 대화하실 담당자의 메시지 ID를 보내 주세요.`,
    unknown_id: (id) => `죄송합니다. 메시지 ID "${id}"에 해당하는 담당자를 찾을 수 없습니다. 확인 후 다시 보내 주세요.`,
    unavailable: (n) => `죄송합니다. ${n}님은 현재 LINE으로 대화할 수 없습니다.`,
  },
};

export function replyText(lang: LineLanguage, kind: Kind, name: string, company: string): string {
  return TEXT[lang][kind](name, company);
}
