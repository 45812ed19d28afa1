import { Resvg } from "@resvg/resvg-js";
import type { ReactNode } from "react";
import satori from "satori";
import { FONT_FAMILY_JA, FONT_FAMILY_KO, cardFonts } from "./card-fonts.ts";

export type CardLocale = "en" | "ja" | "ko";

export interface BusinessCard {
  displayName: string;
  companyName: string;
  department?: string | null;
  phone?: string | null;
  email?: string | null;
  photo?: { bytes: Uint8Array; type: "image/png" | "image/jpeg" | "image/gif" } | null;
  /** The invitation QR code (invitationQrPng). */
  qrPng: Buffer;
  locale?: CardLocale;
}

export const CARD_WIDTH = 1200;
export const CARD_HEIGHT = 700;

const PAD = 56;
const QR_SIZE = 340;
const TEXT_WIDTH = CARD_WIDTH - PAD * 3 - QR_SIZE;
const AVATAR = 150;
const LINE_GREEN = "#06c755";

const SCAN_CAPTION: Record<CardLocale, string> = {
  en: "Scan to add me on LINE",
  ja: "LINEで友だち追加",
  ko: "LINE 친구 추가",
};

interface Node {
  type: string;
  props: Record<string, unknown> & { style?: Record<string, unknown>; children?: unknown };
}

function h(type: string, style: Record<string, unknown>, children?: unknown, extra: Record<string, unknown> = {}): Node {
  return { type, props: { ...extra, style, children } };
}

const WIDE = /[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uff60]/u;
const NARROW = /[ .,:;'|!ilIjft()[\]-]/;

/**
 * Width of a text in em, estimated per character: satori does not shrink text to fit, so the
 * font size is chosen before layout. CJK and Hangul are one em wide; Latin letters average about
 * 0.6 em in Noto Sans (a little more in bold). Overestimating only makes the text a bit smaller.
 */
function estimateEm(text: string, bold: boolean): number {
  let em = 0;
  for (const ch of text) {
    if (WIDE.test(ch)) em += 1;
    else if (NARROW.test(ch)) em += 0.3;
    else if (/[A-Z0-9@MW_]/.test(ch)) em += 0.68;
    else em += 0.58;
  }
  return bold ? em * 1.06 : em;
}

/**
 * The largest size (between min and max) at which the text fits on one line; below min it stays
 * at min and wraps, clamped to `lines` lines with an ellipsis, so nothing leaves the card.
 */
function fitFontSize(text: string, width: number, max: number, min: number, bold: boolean): number {
  const em = estimateEm(text, bold);
  if (em === 0) return max;
  return Math.max(min, Math.min(max, Math.floor(width / em)));
}

/** The `lang` satori uses to pick Japanese or Korean glyph forms for a text. */
function langFor(text: string, locale: CardLocale): string {
  if (/[\uac00-\ud7af\u1100-\u11ff]/u.test(text)) return "ko-KR";
  if (/[\u3040-\u30ff]/u.test(text)) return "ja-JP";
  return locale === "ko" ? "ko-KR" : "ja-JP";
}

function fittedText(
  text: string,
  opts: { width: number; max: number; min: number; lines: number; bold?: boolean; color: string; locale: CardLocale; breakAll?: boolean },
): Node {
  const size = fitFontSize(text, opts.width, opts.max, opts.min, opts.bold ?? false);
  return h(
    "div",
    {
      display: "block",
      width: opts.width,
      fontSize: size,
      lineHeight: 1.25,
      fontWeight: opts.bold ? 700 : 400,
      color: opts.color,
      lineClamp: opts.lines,
      overflow: "hidden",
      textOverflow: "ellipsis",
      // E-mail addresses have no spaces to wrap at.
      wordBreak: opts.breakAll ? "break-all" : "normal",
    },
    text,
    { lang: langFor(text, opts.locale) },
  );
}

function dataUri(type: string, bytes: Uint8Array): string {
  return `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;
}

const AVATAR_COLOURS = ["#2f80ed", "#27ae60", "#9b51e0", "#eb5757", "#f2994a", "#219653", "#56ccf2", "#bb6bd9"];

/** A coloured circle (colour from the name, stable) with the name's first letter, when the member has no photo. */
function initialAvatar(name: string, locale: CardLocale): Node {
  // The first letter or digit: a name like "<Sam>" or "(株)..." should not show a bracket.
  const initial = (name.match(/[\p{L}\p{N}]/u)?.[0] ?? "?").toLocaleUpperCase();
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h(
    "div",
    {
      display: "flex",
      alignItems: "center",
      justifyContent: "center",
      width: AVATAR,
      height: AVATAR,
      borderRadius: AVATAR / 2,
      backgroundColor: AVATAR_COLOURS[hash % AVATAR_COLOURS.length],
      color: "#ffffff",
      fontSize: 72,
      fontWeight: 700,
    },
    initial,
    { lang: langFor(initial, locale) },
  );
}

/**
 * GIF photos are drawn as they are: resvg decodes GIF (the first frame of an animation), which
 * card.test.ts checks pixel by pixel, so no conversion step is needed.
 */
function avatar(card: BusinessCard, locale: CardLocale): Node {
  if (!card.photo) return initialAvatar(card.displayName, locale);
  return h("img", { width: AVATAR, height: AVATAR, borderRadius: AVATAR / 2, objectFit: "cover", border: "4px solid #e4e7eb" }, undefined, {
    src: dataUri(card.photo.type, card.photo.bytes),
    width: AVATAR,
    height: AVATAR,
  });
}

const LABEL_WIDTH = 84;
const VALUE_WIDTH = TEXT_WIDTH - LABEL_WIDTH;

function contactLine(label: string, value: string, size: number, locale: CardLocale, breakAll: boolean): Node {
  return h("div", { display: "flex", alignItems: "flex-start", marginTop: 10 }, [
    // The label box is one value line high, so the label sits level with the value's first line.
    h("div", { display: "flex", alignItems: "center", width: LABEL_WIDTH, height: size * 1.25, fontSize: 18, fontWeight: 700, color: "#8a94a6", letterSpacing: 2 }, label),
    fittedText(value, { width: VALUE_WIDTH, max: size, min: size, lines: 2, color: "#1f2933", locale, breakAll }),
  ]);
}

/** Phone and e-mail share one size (the one the longer needs), so the two lines look like a set. */
function contactLines(card: BusinessCard, locale: CardLocale): Node[] {
  const values = [card.phone, card.email].filter((v): v is string => Boolean(v));
  const size = Math.min(30, ...values.map((v) => fitFontSize(v, VALUE_WIDTH, 30, 20, false)));
  return [
    ...(card.phone ? [contactLine("TEL", card.phone, size, locale, false)] : []),
    ...(card.email ? [contactLine("MAIL", card.email, size, locale, true)] : []),
  ];
}

function cardTree(card: BusinessCard): Node {
  const locale = card.locale ?? "en";
  const primaryFamily = locale === "ko" ? FONT_FAMILY_KO : FONT_FAMILY_JA;
  const secondaryFamily = locale === "ko" ? FONT_FAMILY_JA : FONT_FAMILY_KO;
  const headerWidth = TEXT_WIDTH - AVATAR - 32;

  const header = h("div", { display: "flex", alignItems: "center" }, [
    avatar(card, locale),
    h("div", { display: "flex", flexDirection: "column", marginLeft: 32, width: headerWidth }, [
      fittedText(card.companyName, { width: headerWidth, max: 34, min: 22, lines: 2, bold: true, color: "#0b8a3e", locale }),
      ...(card.department
        ? [h("div", { display: "flex", marginTop: 6 }, [fittedText(card.department, { width: headerWidth, max: 26, min: 20, lines: 2, color: "#52606d", locale })])]
        : []),
    ]),
  ]);

  const name = h("div", { display: "flex", marginTop: 36 }, [
    fittedText(card.displayName, { width: TEXT_WIDTH, max: 88, min: 40, lines: 2, bold: true, color: "#111827", locale }),
  ]);

  const contacts = h("div", { display: "flex", flexDirection: "column", marginTop: "auto" }, contactLines(card, locale));

  const left = h("div", { display: "flex", flexDirection: "column", width: TEXT_WIDTH, height: "100%" }, [header, name, contacts]);

  const right = h("div", { display: "flex", flexDirection: "column", alignItems: "center", justifyContent: "center", width: QR_SIZE, marginLeft: PAD }, [
    h("img", { width: QR_SIZE, height: QR_SIZE }, undefined, { src: dataUri("image/png", card.qrPng), width: QR_SIZE, height: QR_SIZE }),
    h("div", { display: "flex", alignItems: "center", marginTop: 4, fontSize: 26, fontWeight: 700, color: "#0b8a3e" }, SCAN_CAPTION[locale], {
      lang: locale === "ko" ? "ko-KR" : "ja-JP",
    }),
  ]);

  return h(
    "div",
    {
      display: "flex",
      flexDirection: "column",
      width: CARD_WIDTH,
      height: CARD_HEIGHT,
      backgroundColor: "#ffffff",
      fontFamily: `"${primaryFamily}", "${secondaryFamily}"`,
    },
    [
      h("div", { display: "flex", flexGrow: 1, padding: PAD, paddingBottom: PAD - 8 }, [left, right]),
      h("div", { display: "flex", height: 18, backgroundColor: LINE_GREEN }),
    ],
  );
}

/** The member's business card as a PNG (CARD_WIDTH × CARD_HEIGHT) for LINE users to save and scan. */
export async function renderBusinessCard(card: BusinessCard): Promise<Buffer> {
  const svg = await satori(cardTree(card) as unknown as ReactNode, { width: CARD_WIDTH, height: CARD_HEIGHT, fonts: await cardFonts() });
  return new Resvg(svg, { fitTo: { mode: "original" }, background: "#ffffff" }).render().asPng();
}
