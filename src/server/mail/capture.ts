import net from "node:net";
import type { ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { Database } from "../db/database.ts";
import { parseMail } from "./parse.ts";
import { mailRepository, type AttachmentMeta } from "./repository.ts";

export interface MailCapture {
  /** Give this to createMailer: `smtp://127.0.0.1:<port>`. */
  smtpUrl: string;
  close(): Promise<void>;
}

export interface MailCaptureOptions {
  db: Database;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest accepted message; bigger ones are refused with 552 and not stored. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

function isLoopback(address: string): boolean {
  const a = address.replace(/^::ffff:/, "");
  return a === "::1" || a === "localhost" || (net.isIPv4(a) && a.startsWith("127."));
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

function attachmentsOf(parsed: ParsedMail): AttachmentMeta[] {
  return parsed.attachments.map((a) => ({
    filename: a.filename ?? null,
    contentType: a.contentType,
    cid: a.cid ?? null,
    size: a.size,
  }));
}

/**
 * The built-in SMTP server used when SMTP_URL is unset (DESIGN §4): it accepts every message
 * from this machine and keeps it in `captured_mail` for the /__mail mailbox, so invitations can
 * be tried without a mail account. It answers 250 only once the message is stored, so a sender
 * that got success can read it back at once.
 *
 * Loopback only, without AUTH or STARTTLS: nothing leaves the machine and no one else can drop
 * mail in.
 */
export async function startMailCapture(opts: MailCaptureOptions): Promise<MailCapture> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`the mail capture listens on loopback only, not ${host}`);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;

  const server = new SMTPServer({
    banner: "Tsunagu mail capture",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    size: maxBytes,
    logger: false,
    // No reverse DNS of the (loopback) client: without a network the lookup can stall the
    // greeting until the sender gives up ("Greeting never received").
    disableReverseLookup: true,
    // Pooled senders keep connections open; closing must not wait for them.
    closeTimeout: 1_000,
    onConnect(session, callback) {
      if (!isLoopback(session.remoteAddress)) return callback(smtpError("Only local senders are accepted", 554));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (err) => callback(err));
      stream.on("end", () => {
        if (stream.sizeExceeded) return callback(smtpError(`Message exceeds the ${maxBytes}-byte limit`, 552));
        const raw = Buffer.concat(chunks);
        parseMail(raw)
          .then((parsed) =>
            mailRepository.insert(opts.db, {
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? null,
              text: parsed.text ?? null,
              html: parsed.html || null,
              attachments: attachmentsOf(parsed),
              raw,
            }),
          )
          .then(
            (id) => callback(null, `Captured as message ${id}`),
            (err: unknown) => callback(smtpError(`Could not store the message: ${(err as Error).message}`, 451)),
          );
      });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve((server.server.address() as net.AddressInfo).port);
    });
  });
  const urlHost = net.isIPv6(host) ? `[${host}]` : host;
  return {
    smtpUrl: `smtp://${urlHost}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
