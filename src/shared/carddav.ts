import { z } from "zod";

/** At most this many app passwords per member: one per device is the intended use. */
export const APP_PASSWORDS_MAX = 20;

export const CreateAppPasswordBody = z.object({
  /** What the member calls the device or app ("iPhone", "Thunderbird at home"). */
  label: z.string().trim().min(1, "give it a name").max(60, "must be at most 60 characters"),
});
export type CreateAppPasswordInput = z.infer<typeof CreateAppPasswordBody>;

/** An app password as listed: never the secret, which exists only in the answer that made it. */
export const AppPasswordSchema = z.object({
  id: z.string().uuid(),
  label: z.string(),
  createdAt: z.string().datetime({ offset: true }),
  lastUsedAt: z.string().datetime({ offset: true }).nullable(),
});
export type AppPassword = z.infer<typeof AppPasswordSchema>;

export const CreatedAppPasswordSchema = z.object({
  appPassword: AppPasswordSchema,
  /** The secret, shown this once: only a keyed hash of it is stored. */
  secret: z.string(),
});
export type CreatedAppPassword = z.infer<typeof CreatedAppPasswordSchema>;

/** What a CardDAV client needs: the server URL, the user name, and the app passwords made so far. */
export const AppPasswordListSchema = z.object({
  serverUrl: z.string(),
  username: z.string(),
  items: z.array(AppPasswordSchema),
});
export type AppPasswordList = z.infer<typeof AppPasswordListSchema>;
