import nodemailer, { type SendMailOptions } from "nodemailer";

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
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(message) {
      const info = await transport.sendMail(message);
      return { messageId: info.messageId };
    },
    close() {
      transport.close();
    },
  };
}
