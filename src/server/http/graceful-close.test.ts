import http from "node:http";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { closeGracefully } from "./graceful-close.ts";

/** A real HTTP server (the adapter the app runs on) with one request that answers when told to. */
async function slowServer() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let arrived!: () => void;
  const slowArrived = new Promise<void>((r) => (arrived = r));
  const app = new Hono();
  app.get("/fast", (c) => c.text("fast"));
  app.get("/slow", async (c) => {
    arrived();
    await released;
    return c.text("slow");
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, release, slowArrived };
}

function get(url: string, agent: http.Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      })
      .on("error", reject);
  });
}

const log = pino({ level: "silent" });
const agents: http.Agent[] = [];
afterEach(() => agents.splice(0).forEach((a) => a.destroy()));

describe("closing the HTTP server for a rolling restart", () => {
  it("refuses new connections, answers the request in flight, and closes kept-alive connections without waiting for their timeout", async () => {
    const s = await slowServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    agents.push(agent);
    expect((await get(`${s.url}/fast`, agent)).body).toBe("fast");
    const slow = get(`${s.url}/slow`, agent);
    await s.slowArrived;
    let streamsEnded = false;
    const closing = closeGracefully(s.server, { endStreams: async () => void (streamsEnded = true), timeoutMs: 20_000, log });
    expect(streamsEnded).toBe(true);
    await expect(get(`${s.url}/fast`, new http.Agent())).rejects.toThrow(/ECONNREFUSED/);
    const released = Date.now();
    s.release();
    expect(await slow).toMatchObject({ status: 200, body: "slow" });
    await closing;
    // Node keeps an idle kept-alive connection for 5 s; the sweep closes it at once.
    expect(Date.now() - released).toBeLessThan(2_000);
  });

  it("cuts a request that outlives the deadline", async () => {
    const s = await slowServer();
    const agent = new http.Agent({ keepAlive: true });
    agents.push(agent);
    const slow = get(`${s.url}/slow`, agent).catch((err: Error) => err);
    await s.slowArrived;
    const started = Date.now();
    await closeGracefully(s.server, { endStreams: async () => {}, timeoutMs: 500, log });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(await slow).toBeInstanceOf(Error);
    s.release();
  });
});
