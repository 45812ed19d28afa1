import type { webhook } from "@line/bot-sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootServer, type TestServer } from "../../../test/support/server.ts";
import { TEST_CHANNEL, lineEvent, lineUserId, postWebhook, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";

/**
 * DESIGN §7 "an acknowledged webhook is never lost", for the ack's intake rows (decisions.md "An
 * intake row that cannot be fed waits apart"): a row the feed statement cannot store — here one
 * whose event has a state this version does not know, as a newer version might write — neither
 * holds up the deliveries acknowledged after it nor disappears, and is fed once it can be.
 */
let server: TestServer;
const seen: string[] = [];

beforeAll(async () => {
  server = await bootServer({ ...TEST_CHANNEL });
  const record = async (_ctx: unknown, ev: webhook.Event) => void seen.push(ev.webhookEventId);
  server.line.handlers.register({ postback: record });
});
afterAll(async () => {
  await server?.stop();
});

/** A postback every handler sees (a text from a stranger is a Message ID search, consumed before). */
const tap = () => lineEvent("postback", lineUserId(), Date.now(), { postback: { data: "intake-test" } });

it("passes over an intake row the feed cannot store, processes what was acknowledged after it, and feeds it once it can be", async () => {
  const [{ id: channelUuid }] = (await server.db.query<{ id: string }>("SELECT id FROM line_channels WHERE channel_id = $1", [TEST_CHANNEL.LINE_CHANNEL_ID])) as [{ id: string }];
  const odd = tap();
  // The row as inbox.ts writes it, but with an event state webhook_events refuses (its CHECK).
  const row = (state: string) => [
    {
      webhook_event_id: odd.webhookEventId,
      channel_id: channelUuid,
      event_type: odd.type,
      line_user_id: odd.source.userId,
      event_timestamp: new Date(odd.timestamp).toISOString(),
      event: odd,
      state,
      received_at: new Date().toISOString(),
      ordering_key: `${TEST_CHANNEL.LINE_CHANNEL_ID}:${odd.source.userId}`,
      run_at: null,
    },
  ];
  await server.db.query("INSERT INTO line_intake (event_count, events) VALUES (1, $1::jsonb)", [JSON.stringify(row("deferred"))]);

  // Deliveries acknowledged after it are processed (drain() returns once no feedable row waits).
  const after = [tap(), tap()];
  for (const ev of after) expect((await postWebhook(server.url, TEST_CHANNEL.LINE_CHANNEL_ID, webhookBody([ev]))).status).toBe(200);
  await server.worker.drain();
  expect(seen).toEqual(expect.arrayContaining(after.map((e) => e.webhookEventId)));
  expect(seen).not.toContain(odd.webhookEventId);

  // The odd row is kept, with what went wrong, waiting to be tried again.
  const [kept] = await server.db.query<{ failed_feeds: number; last_error: string; retry_at: Date | null }>(
    "SELECT failed_feeds, last_error, retry_at FROM line_intake",
  );
  expect(kept).toMatchObject({ last_error: expect.stringContaining("webhook_events"), retry_at: expect.any(Date) });
  expect(kept!.failed_feeds).toBeGreaterThan(0);

  // Once it can be stored (a version that knows the state; here the row made storable), its next try stores it.
  await server.db.query("UPDATE line_intake SET events = $1::jsonb", [JSON.stringify(row("pending"))]);
  await waitFor(async () => seen.includes(odd.webhookEventId), 30_000, "the odd row to be fed and processed after its wait");
  expect(await server.db.query("SELECT id FROM line_intake")).toEqual([]);
});
