import type { Context, Env, MiddlewareHandler } from "hono";
import { bodyLimit as countingBodyLimit } from "hono/body-limit";

/**
 * Hono's body limit, without its cost on requests whose length is known from the headers. Hono's
 * middleware first asks the request for its body stream, and @hono/node-server then builds a full
 * web Request for it (undici Request, ReadableStream, AbortSignal) and reads the body through
 * that stream instead of straight from the socket: ~10 % of a webhook ack's CPU in a profile
 * (docs/benchmarks.md). Node's HTTP/1.1 parser reads exactly Content-Length bytes, so a declared
 * length is checked from the header; a request with neither Content-Length nor Transfer-Encoding
 * has no body (RFC 9112 §6.3); chunked bodies are still counted by Hono as they arrive.
 */
export function bodyLimit<E extends Env>(options: { maxSize: number; onError: (c: Context<E>) => Response | Promise<Response> }): MiddlewareHandler<E> {
  const counting = countingBodyLimit(options) as unknown as MiddlewareHandler<E>;
  return async (c, next) => {
    const chunked = c.req.header("transfer-encoding") !== undefined;
    const length = c.req.header("content-length");
    if (!chunked && length === undefined) return next();
    if (!chunked) return Number.parseInt(length!, 10) > options.maxSize ? options.onError(c) : next();
    return counting(c, next);
  };
}
