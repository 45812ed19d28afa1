import { z } from "zod";

/**
 * The message objects the emulator accepts on push/reply, with LINE's limits. Types the
 * emulator cannot render (flex, template, imagemap, …) are accepted as opaque objects, as
 * LINE would accept them, so a connector using them is not blocked here.
 */
/** LINE requires HTTPS media URLs; the emulator also takes http (local servers) but no other scheme. */
const webUrl = z.url({ protocol: /^https?$/ }).max(2000);
const sender = z.object({ name: z.string().min(1).max(20).optional(), iconUrl: webUrl.optional() }).optional();
const common = { sender, quickReply: z.unknown().optional() };
const contentUrl = webUrl;

const text = z.object({ ...common, type: z.literal("text"), text: z.string().min(1).max(5000), emojis: z.array(z.unknown()).optional(), quoteToken: z.string().optional() });
const sticker = z.object({ ...common, type: z.literal("sticker"), packageId: z.string().min(1), stickerId: z.string().min(1), quoteToken: z.string().optional() });
const image = z.object({ ...common, type: z.literal("image"), originalContentUrl: contentUrl, previewImageUrl: contentUrl });
const video = z.object({ ...common, type: z.literal("video"), originalContentUrl: contentUrl, previewImageUrl: contentUrl, trackingId: z.string().optional() });
const audio = z.object({ ...common, type: z.literal("audio"), originalContentUrl: contentUrl, duration: z.number().int().positive() });
const location = z.object({
  ...common,
  type: z.literal("location"),
  title: z.string().min(1).max(100),
  address: z.string().min(1).max(100),
  latitude: z.number(),
  longitude: z.number(),
});
const opaque = z.looseObject({ ...common, type: z.enum(["textV2", "imagemap", "template", "flex", "coupon"]) });

export const messageSchema = z.discriminatedUnion("type", [text, sticker, image, video, audio, location, opaque]);
const messages = z.array(messageSchema).min(1).max(5);

export const pushRequest = z.object({
  to: z.string().regex(/^[UCR][0-9a-f]{32}$/, "The property, 'to', in the request body is invalid"),
  messages,
  notificationDisabled: z.boolean().optional(),
  customAggregationUnits: z.array(z.string()).optional(),
});

export const replyRequest = z.object({ replyToken: z.string().min(1), messages, notificationDisabled: z.boolean().optional() });

/** LINE's 400 body: `{message: "The request body has N error(s)", details: [{message, property}]}`. */
export function lineValidationError(error: z.ZodError) {
  const details = error.issues.map((i) => ({ message: i.message, property: propertyPath(i.path) }));
  return { message: `The request body has ${details.length} error(s)`, details };
}

function propertyPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
}
