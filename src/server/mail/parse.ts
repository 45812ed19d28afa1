import type { ParsedMail } from "mailparser";

/**
 * A captured message parsed, cid: links kept so the mailbox can point them at the stored parts.
 * mailparser (and the MIME, charset and HTML-to-text libraries under it) is loaded on the first
 * message instead of at start: most starts capture no mail, and loading it took ~0.2 s and ~30 MB.
 */
export async function parseMail(raw: Buffer): Promise<ParsedMail> {
  const { simpleParser } = await import("mailparser");
  return simpleParser(raw, { keepCidLinks: true });
}
