import { z } from "zod";

/**
 * Real-time events reach the web app as Server-Sent Events from `GET /api/v1/events`.
 *
 * Each event on the wire is `id: <event id>`, `event: <type>`, `data: <JSON of data>`; the
 * envelope below is what a client rebuilds from a `MessageEvent` (`lastEventId`, `type`,
 * `JSON.parse(data)`). Because every event carries its own `event:` name, an `EventSource`
 * delivers it only to `addEventListener(type, …)`, never to `onmessage`.
 *
 * The stream first sends one control event:
 * - `ready`: the stream is live; every change committed from now on will arrive, and when the
 *   client resumed (Last-Event-ID header, or `?lastEventId=`) the events it missed follow first,
 *   in order, without duplicates.
 * - `reset`: the client asked to resume from a point the server no longer has (events are kept
 *   about a day). It must reload whatever it shows; the stream continues live from here.
 * Both carry an `id`, so an EventSource that reconnects before any other event still resumes from
 * the right place. Comment lines (`: ping`) keep proxies from closing an idle stream.
 */
export const REALTIME_READY = "ready";
export const REALTIME_RESET = "reset";

/**
 * Domain event names: `<domain>.<what happened>`, e.g. `message.created`, `contact.updated`.
 * The contact events and who receives them are listed at CONTACT_EVENT_TYPES in contacts.ts.
 */
export const RealtimeEventTypeSchema = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, "must look like domain.event_name");

export const RealtimeEnvelopeSchema = z.object({
  /** Decimal event id, increasing along one member's stream (gaps are normal). */
  id: z.string().regex(/^\d+$/),
  type: z.union([z.literal(REALTIME_READY), z.literal(REALTIME_RESET), RealtimeEventTypeSchema]),
  data: z.unknown(),
});
export type RealtimeEnvelope = z.infer<typeof RealtimeEnvelopeSchema>;

/** Resume point a client may pass as `?lastEventId=` when it opens a new EventSource. */
export const LastEventIdSchema = z.string().regex(/^\d{1,15}$/, "must be an event id");
