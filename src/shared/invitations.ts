import { z } from "zod";
import { EmailSchema } from "./directory.ts";

export const LocaleSchema = z.enum(["en", "ja", "ko"]);
export type Locale = z.infer<typeof LocaleSchema>;

/** How the invitation reached the LINE user; carried as `?via=` on the invitation URL. */
export const InvitationViaSchema = z.enum(["link", "qr", "card", "email", "copy_link"]);
export type InvitationVia = z.infer<typeof InvitationViaSchema>;

export const InvitationSchema = z.object({
  url: z.string().url(),
  messageId: z.string(),
  copyText: z.string(),
  createdAt: z.string(),
  qrUrl: z.string(),
  cardUrl: z.string(),
});
export type Invitation = z.infer<typeof InvitationSchema>;

export const InvitationQuery = z.object({ locale: LocaleSchema.default("en") });

export const SendInvitationEmailBody = z.object({
  to: z.array(EmailSchema).min(1, "add at least one address").max(10, "at most 10 addresses at a time"),
  locale: LocaleSchema.default("en"),
  note: z.string().trim().max(500).optional(),
});
export const SendInvitationEmailResult = z.object({ queued: z.number().int() });
