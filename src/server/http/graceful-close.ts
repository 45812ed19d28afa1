import type { ServerType } from "@hono/node-server";
import type { Logger } from "pino";

/** How often idle keep-alive connections are closed while in-flight requests finish. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops an HTTP server the way a rolling restart needs: no new connections, the streams that
 * would never end on their own (SSE) ended by `endStreams`, requests in flight (a webhook being
 * committed) answered, keep-alive connections closed after their current request so clients open
 * their next one elsewhere, and whatever is still open after `timeoutMs` cut.
 */
export async function closeGracefully(server: ServerType, opts: { endStreams: () => Promise<void>; timeoutMs: number; log: Logger }): Promise<void> {
  // The node-server adapter gives back an http.Server (or http2) at run time.
  const srv = server as ServerType & { closeIdleConnections?: () => void; closeAllConnections?: () => void };
  const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
  // close() only stops new connections: a client reusing a keep-alive connection would go on
  // sending here. Every response from now on closes its connection, so the next request opens
  // one through the load balancer to an instance still serving.
  srv.on("request", (_req: unknown, res: { setHeader(name: string, value: string): void }) => res.setHeader("Connection", "close"));
  srv.closeIdleConnections?.();
  // A connection whose request finishes after close() stays open for its keep-alive timeout otherwise.
  const sweep = setInterval(() => srv.closeIdleConnections?.(), IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), opts.timeoutMs)));
  try {
    await opts.endStreams();
    if ((await Promise.race([closed.then(() => "closed" as const), deadline])) === "timeout") {
      opts.log.warn({ timeoutMs: opts.timeoutMs }, "requests still open at the shutdown deadline; closing their connections");
      srv.closeAllConnections?.();
      await closed;
    }
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
