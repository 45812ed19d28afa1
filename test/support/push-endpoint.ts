import http from "node:http";
import { PushApiModel } from "web-push-testing/src/PushApiModel.js";
import WebPushTestingServer from "web-push-testing/src/server.js";

export interface PushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * A local RFC 8030 push service (web-push-testing) on a loopback port: it hands out subscriptions
 * as a browser's push service would, checks each push's VAPID signature against the subscription's
 * applicationServerKey, and decrypts the payload (RFC 8291), so a test reads what a device would show.
 */
export async function startPushEndpoint() {
  const model = new PushApiModel();
  const service = new WebPushTestingServer(model, 0);
  service.setRequestHandlers();
  // Its own listen() would bind every interface; tests use loopback only.
  const server = http.createServer(service._app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  model.notifyUrl = `${url}/notify/`;

  async function call<T>(path: string, body: object): Promise<T> {
    const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.json()) as { data?: T; error?: { message: string } };
    if (!res.ok || json.data === undefined) throw new Error(`push endpoint ${path}: ${res.status} ${json.error?.message ?? ""}`);
    return json.data;
  }

  return {
    url,
    /** A subscription for the server's VAPID public key, as `PushSubscription.toJSON()` gives it plus its client hash. */
    async subscribe(applicationServerKey: string): Promise<PushSubscriptionJson & { clientHash: string }> {
      return call("/subscribe", { userVisibleOnly: "true", applicationServerKey });
    },
    /** The decrypted payloads pushed to the subscription so far, oldest first. */
    async notifications(clientHash: string): Promise<string[]> {
      const data = await call<{ messages: string[] }>("/get-notifications", { clientHash });
      return data.messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type PushEndpoint = Awaited<ReturnType<typeof startPushEndpoint>>;
