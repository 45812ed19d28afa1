import type { SendMailOptions, Transporter } from "nodemailer";

export interface Mailer {
  send(message: SendMailOptions): Promise<{ messageId: string }>;
  close(): void;
}

/**
 * Outgoing mail over SMTP: `SMTP_URL` in production, or the built-in capture's URL when it is
 * unset. Connections are pooled because invitations are sent by the job worker in bursts.
 */
export function createMailer(opts: { smtpUrl: string }): Mailer {
  const url = new URL(opts.smtpUrl);
  url.searchParams.set("pool", "true");
  // nodemailer (≈ 15 MB resident) loads with the first message rather than at every start.
  let transport: Promise<Transporter> | undefined;
  const open = () => (transport ??= import("nodemailer").then((m) => m.default.createTransport(url.toString())));
  return {
    async send(message) {
      const info = await (await open()).sendMail(message);
      return { messageId: info.messageId };
    },
    close() {
      void transport?.then((t) => t.close());
    },
  };
}
