import { z } from "zod";

/** LINE channel ids are numeric strings (e.g. "1234567890"). */
export const LineChannelIdSchema = z.string().trim().regex(/^\d{6,20}$/, "must be LINE's numeric channel id");
const SecretSchema = z.string().trim().min(16, "looks too short for a LINE secret").max(200);
const TokenSchema = z.string().trim().min(16, "looks too short for a channel access token").max(2000);

export const LineChannelModeSchema = z.enum(["dedicated", "shared"]);

/**
 * A channel as the API shows it. Secrets are write-only: the response says whether each is
 * set, never what it is.
 */
export const LineChannelSchema = z.object({
  id: z.string().uuid(),
  channelId: z.string(),
  mode: LineChannelModeSchema,
  dedicatedMemberId: z.string().uuid().nullable(),
  tokenSource: z.enum(["static", "issued"]),
  hasChannelSecret: z.boolean(),
  hasAccessToken: z.boolean(),
  accessTokenExpiresAt: z.string().nullable(),
  loginChannelId: z.string().nullable(),
  hasLoginChannelSecret: z.boolean(),
  basicId: z.string().nullable(),
  botName: z.string().nullable(),
  webhookUrl: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type LineChannel = z.infer<typeof LineChannelSchema>;
export const LineChannelListSchema = z.object({ items: z.array(LineChannelSchema) });

const ChannelFields = {
  mode: LineChannelModeSchema,
  dedicatedMemberId: z.string().uuid().nullable(),
  channelSecret: SecretSchema,
  /** Omit to have Tsunagu issue short-lived tokens from the channel id and secret. */
  channelAccessToken: TokenSchema,
  loginChannelId: LineChannelIdSchema.nullable(),
  loginChannelSecret: SecretSchema.nullable(),
  basicId: z.string().trim().regex(/^@[a-z0-9._-]{1,40}$/i, "must look like @abc1234").nullable(),
  botName: z.string().trim().min(1).max(100).nullable(),
};

const dedicatedNeedsMember = (b: { mode?: string; dedicatedMemberId?: string | null }) =>
  b.mode !== "dedicated" || !!b.dedicatedMemberId;
const DEDICATED_MESSAGE = { message: "a dedicated channel names its member", path: ["dedicatedMemberId"], params: { code: "dedicated_member_required" } };

export const CreateLineChannelBody = z
  .object({
    channelId: LineChannelIdSchema,
    mode: ChannelFields.mode.default("shared"),
    dedicatedMemberId: ChannelFields.dedicatedMemberId.default(null),
    channelSecret: ChannelFields.channelSecret,
    channelAccessToken: ChannelFields.channelAccessToken.optional(),
    loginChannelId: ChannelFields.loginChannelId.default(null),
    loginChannelSecret: ChannelFields.loginChannelSecret.default(null),
    basicId: ChannelFields.basicId.default(null),
    botName: ChannelFields.botName.default(null),
  })
  .refine(dedicatedNeedsMember, DEDICATED_MESSAGE)
  .refine((b) => !b.loginChannelId === !b.loginChannelSecret, {
    message: "give the LINE Login channel id and its secret together",
    path: ["loginChannelSecret"],
    params: { code: "login_channel_pair" },
  });

export const UpdateLineChannelBody = z
  .object({
    mode: ChannelFields.mode,
    dedicatedMemberId: ChannelFields.dedicatedMemberId,
    channelSecret: ChannelFields.channelSecret,
    /** null switches to issued tokens. */
    channelAccessToken: ChannelFields.channelAccessToken.nullable(),
    loginChannelId: ChannelFields.loginChannelId,
    loginChannelSecret: ChannelFields.loginChannelSecret,
    basicId: ChannelFields.basicId,
    botName: ChannelFields.botName,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, "change at least one field");

export const LineBotInfoSchema = z.object({
  userId: z.string(),
  basicId: z.string(),
  displayName: z.string(),
  pictureUrl: z.string().optional(),
  chatMode: z.string().optional(),
  markAsReadMode: z.string().optional(),
});
/**
 * Where LINE fetches this server's images and sender icons from (PUBLIC_BASE_URL), and whether
 * LINE can: it takes only HTTPS. `insecureAllowed`: live mode started on http:// because
 * LINE_ALLOW_INSECURE_PUBLIC_URL=1 is set.
 */
export const LinePublicUrlSchema = z.object({
  lineMode: z.enum(["emulator", "live"]),
  publicBaseUrl: z.string(),
  https: z.boolean(),
  insecureAllowed: z.boolean(),
});

export const VerifyLineChannelSchema = z.object({ ok: z.literal(true), bot: LineBotInfoSchema, channel: LineChannelSchema });

export const WebhookEventStateSchema = z.enum(["pending", "processed", "failed", "ignored"]);
export const WebhookEventSchema = z.object({
  id: z.number().int(),
  webhookEventId: z.string(),
  channelId: z.string(),
  type: z.string(),
  lineUserId: z.string().nullable(),
  timestamp: z.string(),
  receivedAt: z.string(),
  state: WebhookEventStateSchema,
  lastError: z.string().nullable(),
  /** Runs of the event's latest job; an admin's retry starts a new job from zero. */
  attempts: z.number().int(),
});
export const WebhookEventListSchema = z.object({ items: z.array(WebhookEventSchema) });
export const WebhookEventQuery = z.object({
  state: WebhookEventStateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Webhook events are numbered by the database (bigserial), not by UUID. */
export const WebhookEventIdParam = z.object({ id: z.coerce.number().int().positive("must be an event number") });
