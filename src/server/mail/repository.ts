import type { Queryable } from "../db/database.ts";

export interface AttachmentMeta {
  filename: string | null;
  contentType: string;
  cid: string | null;
  size: number;
}

export interface CapturedMail {
  id: number;
  receivedAt: Date;
  envelopeFrom: string | null;
  envelopeTo: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: AttachmentMeta[];
}

interface Row {
  id: number;
  received_at: Date | string;
  envelope_from: string | null;
  envelope_to: string[];
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  attachments: AttachmentMeta[] | string;
}

const COLUMNS = "id, received_at, envelope_from, envelope_to, subject, text_body, html_body, attachments";

function toMail(r: Row): CapturedMail {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at),
    envelopeFrom: r.envelope_from,
    envelopeTo: r.envelope_to,
    subject: r.subject,
    text: r.text_body,
    html: r.html_body,
    attachments: typeof r.attachments === "string" ? (JSON.parse(r.attachments) as AttachmentMeta[]) : r.attachments,
  };
}

export const mailRepository = {
  async insert(
    db: Queryable,
    m: Omit<CapturedMail, "id" | "receivedAt"> & { raw: Uint8Array },
  ): Promise<number> {
    const rows = await db.query<{ id: number }>(
      `INSERT INTO captured_mail (envelope_from, envelope_to, subject, text_body, html_body, raw, attachments)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id`,
      [m.envelopeFrom, m.envelopeTo, m.subject, m.text, m.html, m.raw, JSON.stringify(m.attachments)],
    );
    return rows[0]!.id;
  },

  /** Newest first; `to` keeps messages with that envelope recipient (case-insensitive). */
  async list(db: Queryable, opts: { to?: string; limit?: number } = {}): Promise<CapturedMail[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM captured_mail
       WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM unnest(envelope_to) t WHERE lower(t) = lower($1::text))
       ORDER BY received_at DESC, id DESC LIMIT $2`,
      [opts.to ?? null, opts.limit ?? 200],
    );
    return rows.map(toMail);
  },

  async get(db: Queryable, id: number): Promise<CapturedMail | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM captured_mail WHERE id = $1`, [id]);
    return rows[0] ? toMail(rows[0]) : undefined;
  },

  async raw(db: Queryable, id: number): Promise<Buffer | undefined> {
    const rows = await db.query<{ raw: Uint8Array }>("SELECT raw FROM captured_mail WHERE id = $1", [id]);
    return rows[0] ? Buffer.from(rows[0].raw) : undefined;
  },
};
