import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { PNG } from "pngjs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLineEmulator, type LineEmulator } from "../line-emulator/emulator.ts";
import { EmulatorControlClient } from "../line-emulator/control-client.ts";
import { freshTestDatabase } from "../../test/support/fresh-database.ts";
import { addFriendThroughLink } from "../../test/support/line.ts";
import { TEST_CHANNEL, lineEvent, postWebhook, waitFor, webhookBody } from "../../test/support/line-webhooks.ts";
import { startS3Server, type TestS3 } from "../../test/support/s3.ts";
import { ApiClient, bootServer, signedIn, type TestServer } from "../../test/support/server.ts";

/**
 * Two instances as two machines would run them (DESIGN §4): separate DATA_DIRs, one PostgreSQL,
 * one S3 bucket (s3rver in its own process), one LINE platform (the emulator on its own origin,
 * reached in live mode as the real one would be). The test plays the load balancer: it routes to
 * the instances whose /healthz answers 200.
 */
const DRAIN_MS = 1_000;
const png = (rgb: [number, number, number]) => {
  const p = new PNG({ width: 8, height: 8 });
  for (let i = 0; i < p.data.length; i += 4) p.data.set([...rgb, 255], i);
  return new Uint8Array(PNG.sync.write(p));
};

describe.runIf(!!process.env.TEST_DATABASE_URL)("two instances with separate DATA_DIRs, PostgreSQL and an S3 bucket", () => {
  let s3: TestS3;
  let emulator: LineEmulator;
  let database: Awaited<ReturnType<typeof freshTestDatabase>>;
  let a: TestServer;
  let b: TestServer;
  let sato: ApiClient;
  const dataDirs: string[] = [];

  async function boot(env: Record<string, string>) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-instance-"));
    dataDirs.push(dataDir);
    return bootServer({
      DATA_DIR: dataDir,
      DATABASE_URL: database!.url,
      // What every instance of one deployment shares: the key that decrypts the stored LINE secrets.
      SECRET_KEY: "scale-out-test-secret-key-0123456789abcdef",
      LINE_MODE: "live",
      // Plain-http test instances: the stand-in, not LINE, fetches from them.
      LINE_ALLOW_INSECURE_PUBLIC_URL: "1",
      LINE_API_BASE_URL: emulator.url,
      LINE_DATA_API_BASE_URL: emulator.url,
      LINE_LOGIN_BASE_URL: emulator.url,
      LINE_AUTHORIZE_BASE_URL: emulator.url,
      ...TEST_CHANNEL,
      ...s3.env,
      ...env,
    });
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    emulator = await startLineEmulator({ port: 0, log: pino({ level: "silent" }) });
    database = await freshTestDatabase("tsunagu_scale");
    a = await boot({ DEMO_SEED: "1", SHUTDOWN_DRAIN_MS: String(DRAIN_MS) });
    b = await boot({ DEMO_SEED: "0" });
    emulator.registerChannel({
      channelId: TEST_CHANNEL.LINE_CHANNEL_ID,
      channelSecret: TEST_CHANNEL.LINE_CHANNEL_SECRET,
      accessToken: TEST_CHANNEL.LINE_CHANNEL_ACCESS_TOKEN,
      loginChannelId: TEST_CHANNEL.LINE_LOGIN_CHANNEL_ID,
      loginChannelSecret: TEST_CHANNEL.LINE_LOGIN_CHANNEL_SECRET,
      basicId: "@tsunagu",
      botName: "Demo Company",
      webhookUrl: `${a.url}/line/webhook/${TEST_CHANNEL.LINE_CHANNEL_ID}`,
    });
    sato = await signedIn(a, "sato@demo.example");
  }, 120_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await s3?.stop();
    await database?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Drains both instances' workers: either may have claimed the work. */
  const drainBoth = () => Promise.all([a.worker.drain(), b.worker.drain()]);

  it("serves a photo uploaded on A from B, and nothing lands in either DATA_DIR", async () => {
    const satoId = (await sato.get("/api/v1/me")).json.member.id;
    const photo = png([10, 200, 30]);
    expect((await sato.request("PUT", `/api/v1/members/${satoId}/photo`, photo, { "content-type": "image/png" })).status).toBeLessThan(300);
    const res = await fetch(`${b.url}/api/v1/members/${satoId}/photo`, { headers: { cookie: sato.cookie } });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(photo);
    for (const dir of dataDirs) expect(fs.existsSync(path.join(dir, "files"))).toBe(false);
  });

  it("stores a LINE user's image once for both, and LINE fetches a member's pushed image from B", { timeout: 60_000 }, async () => {
    const emu = new EmulatorControlClient(emulator.url);
    const user = await emu.createUser({ displayName: "Scale Media", language: "en" });
    await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, user.userId);
    await drainBoth();
    const rooms = (await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[];
    const roomId = rooms.find((r) => r.lineUser.displayName === "Scale Media")!.id;

    const inbound = png([200, 10, 10]);
    await emu.sendMessage(user.userId, TEST_CHANNEL.LINE_CHANNEL_ID, { type: "image", contentBase64: Buffer.from(inbound).toString("base64"), contentType: "image/png" });
    const stored = await waitFor(async () => {
      await drainBoth();
      const items = (await sato.get(`/api/v1/rooms/${roomId}/messages`)).json.items as { type: string; contentState: string; contentUrl: string }[];
      return items.find((m) => m.type === "image" && m.contentState === "stored");
    }, 30_000, "the inbound image to be stored");
    for (const server of [a, b]) {
      const res = await fetch(`${server.url}${stored.contentUrl}`, { headers: { cookie: sato.cookie } });
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(inbound);
    }

    const outbound = png([0, 0, 250]);
    const sent = await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=image&fileName=blue.png`, outbound, { "content-type": "application/octet-stream" });
    expect(sent.status).toBe(201);
    const pushed = await waitFor(async () => {
      await drainBoth();
      const chat = await emu.chat(user.userId, TEST_CHANNEL.LINE_CHANNEL_ID);
      return chat.find((m) => m.from === "bot" && m.message.type === "image");
    }, 30_000, "the image push to reach LINE");
    // A's public URL; the load balancer may send LINE's fetch to B.
    const mediaPath = new URL(pushed.message.originalContentUrl as string).pathname;
    const fetched = await fetch(`${b.url}${mediaPath}`);
    expect(fetched.status).toBe(200);
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(outbound);

    // A GIF is converted by A for LINE; the PNG it made is in the bucket, so B serves it too.
    const gif = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#00ff00" } }).gif().toBuffer();
    expect((await sato.request("POST", `/api/v1/rooms/${roomId}/uploads?type=image&fileName=green.gif`, gif, { "content-type": "application/octet-stream" })).status).toBe(201);
    const gifPush = await waitFor(async () => {
      await drainBoth();
      const chat = await emu.chat(user.userId, TEST_CHANNEL.LINE_CHANNEL_ID);
      return chat.filter((m) => m.from === "bot" && m.message.type === "image")[1];
    }, 30_000, "the GIF's push to reach LINE");
    for (const url of [gifPush.message.originalContentUrl, gifPush.message.previewImageUrl] as string[]) {
      const res = await fetch(`${b.url}${new URL(url).pathname}`);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).format).toBe("png");
    }
  });

  it("while A stops gracefully, webhooks are all acknowledged by A or B and processed once, and a member's stream moves to B missing nothing", { timeout: 120_000 }, async () => {
    const emu = new EmulatorControlClient(emulator.url);
    const user = await emu.createUser({ displayName: "Scale Stream", language: "en" });
    await addFriendThroughLink((await sato.get("/api/v1/invitations/me")).json.url, user.userId);
    await drainBoth();
    const roomId = ((await sato.get("/api/v1/rooms")).json.items as { id: string; lineUser: { displayName: string } }[]).find(
      (r) => r.lineUser.displayName === "Scale Stream",
    )!.id;

    const lb = loadBalancer([a, b]);
    const stream = followEvents(lb, sato.cookie);
    await stream.opened;

    const total = 60;
    const acknowledged: string[] = [];
    const t0 = Date.now() - 60_000;
    let closing: Promise<void> | undefined;
    const ackedDuringStop = new Set<"A" | "B">();
    for (let i = 0; i < total; i++) {
      if (i === 15) closing = a.close();
      const event = lineEvent("message", user.userId, t0 + i, {
        message: { id: String(9_000_000 + i), type: "text", text: `scale ${i}`, quoteToken: "q" },
      });
      // Like LINE: redeliver a webhook that was not answered 200 (here at once, to the next instance).
      for (let attempt = 0; ; attempt++) {
        const target = await lb.pick();
        const res = await postWebhook(target.url, TEST_CHANNEL.LINE_CHANNEL_ID, webhookBody([event])).catch(() => ({ status: -1 }));
        if (res.status === 200) {
          if (closing) ackedDuringStop.add(target === a ? "A" : "B");
          break;
        }
        if (attempt > 20) throw new Error(`webhook ${i} never acknowledged`);
      }
      acknowledged.push(event.webhookEventId);
      await new Promise((r) => setTimeout(r, 20));
    }
    await closing;
    // A still answered while draining (the load balancer had not noticed yet), then B took over.
    expect([...ackedDuringStop].sort()).toEqual(["A", "B"]);

    // Processed once: every text is in the room exactly once. The session lives in the database, so B knows it.
    const satoOnB = Object.assign(new ApiClient(b.url), { cookie: sato.cookie, csrf: sato.csrf });
    const texts = await waitFor(async () => {
      await b.worker.drain();
      const items = (await satoOnB.get(`/api/v1/rooms/${roomId}/messages?limit=100`)).json.items as { id: string; payload: { text?: string } }[];
      return items.filter((m) => m.payload.text?.startsWith("scale ")).length >= total ? items : undefined;
    }, 60_000, "every acknowledged message to be in the room");
    const scale = texts.filter((m) => m.payload.text?.startsWith("scale "));
    expect(scale.map((m) => m.payload.text).sort()).toEqual(Array.from({ length: total }, (_, i) => `scale ${i}`).sort());

    // The stream saw every message.created once, across the move from A to B.
    const ids = new Set(scale.map((m) => m.id));
    await waitFor(async () => [...ids].every((id) => stream.messageIds().has(id)), 30_000, "the stream to have seen every message");
    expect(stream.connections()).toEqual([a.url, b.url]);
    expect(stream.duplicateEventIds()).toEqual([]);
    stream.stop();
    lb.stop();
  });
});

/**
 * Routes like a load balancer: to the first instance whose last health check (every 250 ms)
 * answered 200. Like a real one it notices a draining instance late, so some requests still
 * reach an instance after its shutdown began.
 */
function loadBalancer(servers: TestServer[]) {
  const healthy = new Map(servers.map((s) => [s.url, true]));
  const check = () => {
    for (const s of servers) {
      fetch(`${s.url}/healthz`).then(
        (r) => void r.arrayBuffer().then(() => healthy.set(s.url, r.status === 200)),
        () => healthy.set(s.url, false),
      );
    }
  };
  const timer = setInterval(check, 250);
  return {
    async pick() {
      return waitFor(async () => servers.find((x) => healthy.get(x.url)), 10_000, "a healthy instance");
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * A member's browser: an EventSource that reconnects through the load balancer when its stream
 * ends, after the server's `retry:` delay, sending Last-Event-ID.
 */
function followEvents(lb: ReturnType<typeof loadBalancer>, cookie: string) {
  const connections: string[] = [];
  const seenIds: string[] = [];
  const messageIds = new Set<string>();
  const controller = new AbortController();
  let lastEventId: string | undefined;
  let retryMs = 3_000;
  let opened!: () => void;
  const openedPromise = new Promise<void>((r) => (opened = r));

  async function readOnce(url: string) {
    const res = await fetch(`${url}/api/v1/events`, {
      headers: { cookie, accept: "text/event-stream", ...(lastEventId && { "last-event-id": lastEventId }) },
      signal: controller.signal,
    });
    if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
    connections.push(url);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const fields = new Map<string, string>();
        for (const line of buffer.slice(0, end).split("\n")) {
          if (!line || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
        }
        buffer = buffer.slice(end + 2);
        if (fields.has("retry")) retryMs = Number(fields.get("retry"));
        const event = fields.get("event");
        if (!event) continue;
        lastEventId = fields.get("id");
        if (event === "ready") opened();
        else seenIds.push(lastEventId!);
        if (event === "message.created") messageIds.add((JSON.parse(fields.get("data")!) as { messageId: string }).messageId);
      }
    }
  }

  void (async () => {
    while (!controller.signal.aborted) {
      try {
        await readOnce((await lb.pick()).url);
      } catch {
        if (controller.signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  })();

  return {
    opened: openedPromise,
    connections: () => connections,
    messageIds: () => messageIds,
    duplicateEventIds: () => seenIds.filter((id, i) => seenIds.indexOf(id) !== i),
    stop: () => controller.abort(),
  };
}
