import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, type TestServer } from "../../../test/support/server.ts";
import { TEST_CHANNEL, lineEvent, lineUserId, postWebhook, webhookBody } from "../../../test/support/line-webhooks.ts";

/**
 * Issue 9, "requests are never starved": while a backlog of LINE events drains, the server still
 * answers. On PGlite the job loop and the requests share one thread and one connection, and each
 * statement resolves as a microtask; a loop that never yielded kept requests from even being
 * read until the backlog was gone.
 */
let server: TestServer;

beforeAll(async () => {
  server = await bootServer({ ...TEST_CHANNEL });
});
afterAll(async () => {
  await server?.stop();
});

/** Events of the backlog (stored up to `lastId`) still waiting; the ones posted while it drains do not count. */
const backlogLeft = async (lastId: number) =>
  (await server.db.query<{ n: number }>("SELECT count(*) AS n FROM webhook_events WHERE state = 'pending' AND id <= $1", [lastId]))[0]!.n;

describe("a draining backlog", () => {
  it("leaves the server answering: /healthz and new webhooks are served while events are still pending", async () => {
    const users = Array.from({ length: 20 }, lineUserId);
    const t = Date.now();
    for (let d = 0; d < 10; d++) {
      const events = Array.from({ length: 100 }, (_, i) => lineEvent("postback", users[i % users.length]!, t + d * 100 + i, { postback: { data: "backlog" } }));
      expect((await postWebhook(server.url, TEST_CHANNEL.LINE_CHANNEL_ID, webhookBody(events))).status).toBe(200);
    }
    const lastOfBacklog = (await server.db.query<{ id: number }>("SELECT max(id) AS id FROM webhook_events"))[0]!.id;
    // Requests without a pause between them: the drain must go on meanwhile, and they must be answered.
    let roundsWhilePending = 0;
    for (;;) {
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      const late = lineEvent("postback", users[roundsWhilePending % users.length]!, Date.now(), { postback: { data: "late" } });
      expect((await postWebhook(server.url, TEST_CHANNEL.LINE_CHANNEL_ID, webhookBody([late]))).status).toBe(200);
      if ((await backlogLeft(lastOfBacklog)) === 0) break;
      roundsWhilePending++;
    }
    // Each round is a /healthz, a webhook and a count; more than a few must fit into the drain.
    expect(roundsWhilePending).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
