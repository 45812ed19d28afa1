import type { Database } from "../db/database.ts";
import { startMailCapture } from "./capture.ts";
import { mailboxRoutes } from "./mailbox-routes.ts";
import { createMailer, type Mailer } from "./mailer.ts";

export interface OutgoingMail {
  mailer: Mailer;
  /** The /__mail web mailbox; only when the built-in capture is in use (SMTP_URL unset) and development tools are on. */
  mailbox: ReturnType<typeof mailboxRoutes> | undefined;
  close(): Promise<void>;
}

/**
 * How the server sends mail (DESIGN §4): through SMTP_URL when it is set, otherwise through the
 * built-in capture on a loopback port, whose messages the mailbox shows.
 */
export async function startOutgoingMail(opts: { smtpUrl: string | undefined; db: Database; devTools: boolean; mailboxPath?: string }): Promise<OutgoingMail> {
  if (opts.smtpUrl) {
    const mailer = createMailer({ smtpUrl: opts.smtpUrl });
    return { mailer, mailbox: undefined, close: async () => mailer.close() };
  }
  const capture = await startMailCapture({ db: opts.db });
  const mailer = createMailer({ smtpUrl: capture.smtpUrl });
  return {
    mailer,
    // Live mode without SMTP_URL still captures (nothing is lost), but shows no one the mail.
    mailbox: opts.devTools ? mailboxRoutes(opts.db, { basePath: opts.mailboxPath ?? "/__mail" }) : undefined,
    async close() {
      mailer.close();
      await capture.close();
    },
  };
}
