import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { createLogger, startServer, type RunningServer } from "../server.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { signedIn } from "../../../test/support/server.ts";
import { freshPostgres, lineEvent, lineUserId, postWebhook, waitFor, webhookBody } from "../../../test/support/line-webhooks.ts";

// Boots the server itself (instead of bootServer) to capture the real logger's output.
const SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const TOKEN = "channel-access-token-that-must-never-leak-0123456789";
const LOGIN_SECRET = "99887766554433221100ffeeddccbbaa";
let server: RunningServer;
let dataDir: string;
let logs = "";
let database: Awaited<ReturnType<typeof freshPostgres>>;

beforeAll(async () => {
  database = await freshPostgres();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsunagu-channels-"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: "trace",
    DEMO_SEED: "1",
    DEMO_PASSWORD: "demo-password-1",
    ...(database && { DATABASE_URL: database.url }),
  });
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  server = await startServer(config, { log: createLogger("trace", sink) });
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const body = (channelId: string, extra: object = {}) => ({
  channelId,
  channelSecret: SECRET,
  channelAccessToken: TOKEN,
  loginChannelId: "2000000001",
  loginChannelSecret: LOGIN_SECRET,
  ...extra,
});

describe("LINE channel admin API", () => {
  it("creates, lists, shows and updates a channel without ever returning its secrets", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const created = await admin.post("/api/v1/admin/line/channels", body("1700000001", { basicId: "@abc1234" }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      channelId: "1700000001",
      mode: "shared",
      tokenSource: "static",
      hasChannelSecret: true,
      hasAccessToken: true,
      hasLoginChannelSecret: true,
      webhookUrl: `${server.url}/line/webhook/1700000001`,
    });
    const id = created.json.id;
    const shown = await admin.get(`/api/v1/admin/line/channels/${id}`);
    const listed = await admin.get("/api/v1/admin/line/channels");
    expect(listed.json.items.map((c: { channelId: string }) => c.channelId)).toContain("1700000001");
    const sato = (await admin.get("/api/v1/members")).json.items.find((m: { loginId: string }) => m.loginId === "sato");
    const updated = await admin.patch(`/api/v1/admin/line/channels/${id}`, { mode: "dedicated", dedicatedMemberId: sato.id, channelAccessToken: null });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ mode: "dedicated", dedicatedMemberId: sato.id, tokenSource: "issued", hasAccessToken: false });
    const noMember = await admin.patch(`/api/v1/admin/line/channels/${id}`, { dedicatedMemberId: null });
    expect(noMember.status).toBe(400);

    for (const res of [created, shown, listed, updated]) {
      expect(res.text).not.toContain(SECRET);
      expect(res.text).not.toContain(TOKEN);
      expect(res.text).not.toContain(LOGIN_SECRET);
      expect(res.text).not.toContain("v1:"); // nor the sealed form
    }
    // Stored sealed, not in clear.
    const [row] = await server.db.query<Record<string, string>>("SELECT * FROM line_channels WHERE id = $1", [id]);
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(JSON.stringify(row)).not.toContain(LOGIN_SECRET);

    const dup = await admin.post("/api/v1/admin/line/channels", body("1700000001"));
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("line_channel_taken");
    const invalid = await admin.post("/api/v1/admin/line/channels", { channelId: "abc", channelSecret: "short", loginChannelId: "2000000002" });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(["channelId", "channelSecret", "loginChannelSecret"]);
  });

  it("is for administrators only", async () => {
    const sato = await signedIn(server, "sato@demo.example");
    expect((await sato.get("/api/v1/admin/line/channels")).status).toBe(403);
    const res = await sato.post("/api/v1/admin/line/channels", body("1700000002"));
    expect(res.status).toBe(403);
    expect(res.json.code).toBe("admin_required");
    const anonymous = await fetch(`${server.url}/api/v1/admin/line/channels`);
    expect(anonymous.status).toBe(401);
  });

  it("keeps each company to its own channels and events", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const own = await admin.post("/api/v1/admin/line/channels", body("1700000003"));
    const tenantB = await server.directory.createTenant({ name: "Other Co", plan: "core" });
    await server.directory.addMember(tenantB, null, {
      loginId: "other-admin",
      email: "admin@other.example",
      displayName: "Other Admin",
      role: "admin",
      password: "other-password-1",
    });
    const other = await signedIn(server, "admin@other.example", "other-password-1");
    expect((await other.get("/api/v1/admin/line/channels")).json.items).toEqual([]);
    expect((await other.get(`/api/v1/admin/line/channels/${own.json.id}`)).status).toBe(404);
    expect((await other.patch(`/api/v1/admin/line/channels/${own.json.id}`, { botName: "Hijacked" })).status).toBe(404);
    expect((await other.post(`/api/v1/admin/line/channels/${own.json.id}/verify`)).status).toBe(404);

    const ev = lineEvent("message", lineUserId(), Date.now());
    expect((await postWebhook(server.url, "1700000003", webhookBody([ev]), { secret: SECRET })).status).toBe(200);
    await server.worker.drain();
    const mine = await admin.get("/api/v1/admin/line/events");
    expect(mine.json.items.map((e: { webhookEventId: string }) => e.webhookEventId)).toContain(ev.webhookEventId);
    expect((await other.get("/api/v1/admin/line/events")).json.items).toEqual([]);
  });

  it("honours a changed channel secret at once: the new one is accepted, the old one refused", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const created = await admin.post("/api/v1/admin/line/channels", body("1700000005"));
    expect(created.status).toBe(201);
    const delivery = () => webhookBody([lineEvent("follow", lineUserId(), Date.now())]);
    // The first delivery makes the server keep the channel and its secret for a while.
    expect((await postWebhook(server.url, "1700000005", delivery(), { secret: SECRET })).status).toBe(200);
    const NEW_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    expect((await admin.patch(`/api/v1/admin/line/channels/${created.json.id}`, { channelSecret: NEW_SECRET })).status).toBe(200);
    expect((await postWebhook(server.url, "1700000005", delivery(), { secret: NEW_SECRET })).status).toBe(200);
    expect((await postWebhook(server.url, "1700000005", delivery(), { secret: SECRET })).status).toBe(401);
  });

  it("verifies credentials with LINE through the SDK (here: the emulator) and reports refusals", async () => {
    const admin = await signedIn(server, "admin@demo.example");
    const demo = (await admin.get("/api/v1/admin/line/channels")).json.items.find(
      (c: { channelId: string }) => c.channelId === server.demoLineChannelId,
    );
    const ok = await admin.post(`/api/v1/admin/line/channels/${demo.id}/verify`);
    expect(ok.status).toBe(200);
    expect(ok.json.bot.basicId).toMatch(/^@/);
    expect(ok.json.channel.botName).toBe(ok.json.bot.displayName);

    const unknown = await admin.post("/api/v1/admin/line/channels", body("1700000004"));
    const refused = await admin.post(`/api/v1/admin/line/channels/${unknown.json.id}/verify`);
    expect(refused.status).toBe(422);
    expect(refused.json.code).toBe("line_verification_failed");
    expect(refused.text).not.toContain(TOKEN);
  });

  it("keeps invitation tokens and media signatures out of the access log", async () => {
    const token = "inv" + "x".repeat(40);
    const signature = "sig" + "y".repeat(40);
    await fetch(`${server.url}/i/${token}`);
    await fetch(`${server.url}/i/${token}/photo`);
    await fetch(`${server.url}/line/media/00000000-0000-4000-8000-000000000000/${signature}`);
    await waitFor(async () => logs.includes("/line/media/00000000-0000-4000-8000-000000000000/[signature]"));
    expect(logs).toContain('"path":"/i/[token]"');
    expect(logs).toContain('"path":"/i/[token]/photo"');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(signature);
  });

  it("never writes a secret to the logs, and redacts one if it is logged by mistake", async () => {
    server.log.info({ channel: { channelSecret: SECRET, accessToken: TOKEN } }, "oops");
    await waitFor(async () => logs.includes('"msg":"oops"'), 10_000, "the log line to be written");
    expect(logs).toContain("[redacted]");
    expect(logs).toContain('"msg":"request"');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain(LOGIN_SECRET);
  });
});
