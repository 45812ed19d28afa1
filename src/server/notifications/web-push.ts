import type { VapidKeys } from "./vapid.ts";

export type PushOutcome = "delivered" | "gone" | "failed";

/**
 * Where a browser may ask us to push. Push services are public HTTPS origins; plain HTTP is
 * accepted only for loopback hosts when asked (the local RFC 8030 endpoint used with the LINE
 * emulator and in tests), so a subscription cannot make the server post into a private network.
 */
export function isAllowedEndpoint(endpoint: string, allowLoopbackHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return allowLoopbackHttp && url.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
}

/**
 * One RFC 8030 push, its payload encrypted for the device (RFC 8291) and signed with our VAPID
 * key (RFC 8292) by `web-push`; the request itself goes out with fetch, which (unlike web-push's
 * own sender) also reaches the plain-HTTP loopback endpoint allowed above.
 * 404/410 mean the subscription is gone for good; anything else unanswered is a failure.
 */
export async function sendPush(
  subscription: { endpoint: string; p256dh: string; auth: string },
  payload: object,
  opts: { vapid: VapidKeys; subject: string; topic?: string; timeoutMs?: number },
): Promise<PushOutcome> {
  // web-push (≈ 11 MB resident) loads with the first push rather than at every start.
  const { default: webPush } = await import("web-push");
  const details = webPush.generateRequestDetails({ endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } }, JSON.stringify(payload), {
    vapidDetails: { subject: opts.subject, publicKey: opts.vapid.publicKey, privateKey: opts.vapid.privateKey },
    // A message older than a day is better read in the app than announced.
    TTL: 86_400,
    urgency: "high",
    ...(opts.topic ? { topic: opts.topic } : {}),
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(details.headers)) if (name.toLowerCase() !== "content-length") headers.set(name, String(value));
  try {
    const res = await fetch(details.endpoint, {
      method: details.method,
      headers,
      body: details.body ? new Uint8Array(details.body) : null,
      redirect: "error",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    if (res.status === 404 || res.status === 410) return "gone";
    return res.ok ? "delivered" : "failed";
  } catch {
    return "failed";
  }
}
