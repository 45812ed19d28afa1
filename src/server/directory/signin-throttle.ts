import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Database } from "../db/database.ts";
import type { AppEnv } from "../http/env.ts";
import { Problem } from "../http/problem.ts";
import { directoryRepository as repo } from "./repository.ts";

/** Failures per account (a member, or an unknown login as typed) before a lock. */
export const SIGNIN_LIMIT = 5;
/**
 * Failures per client address, across accounts: one address trying many members' passwords.
 * Higher than the account limit because an office shares one address.
 */
export const CLIENT_SIGNIN_LIMIT = 30;
const WINDOW_MS = 15 * 60_000;
const LOCK_MS = 15 * 60_000;

/**
 * Which door (web sign-in or CardDAV's app passwords, counted apart so a CardDAV client stuck on a
 * revoked app password cannot lock its member out of the web app) and who: the member whatever
 * identifier (e-mail or ID) was typed — otherwise alternating them doubled the attempts.
 */
export type SigninDoor = "web" | "dav";
export interface SigninKeys {
  account: string;
  client: string;
}

export const memberKey = (door: SigninDoor, memberId: string) => `${door}:member:${memberId}`;

export function signinKeys(door: SigninDoor, who: { memberId: string } | { login: string }, clientAddress: string): SigninKeys {
  return {
    account: "memberId" in who ? memberKey(door, who.memberId) : `${door}:login:${who.login.trim().toLowerCase()}`,
    client: `${door}:client:${clientAddress}`,
  };
}

/**
 * The client's address: the connection's peer, or, behind TRUST_PROXY_HOPS reverse proxies, the
 * address the outermost of them saw. Each proxy appends its own peer to X-Forwarded-For, so the
 * client is that many entries left of the peer; what stands further left the client wrote itself
 * and is never believed (docs/decisions.md). With no proxy trusted the header is ignored.
 */
export function clientAddress(c: Context<AppEnv>): string {
  let peer: string;
  try {
    peer = getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // Not served by @hono/node-server (app.request in unit tests): one shared bucket.
    peer = "unknown";
  }
  const hops = c.get("trustProxyHops") ?? 0;
  if (hops === 0) return peer;
  const chain = [...(c.req.header("x-forwarded-for") ?? "").split(",").map((a) => a.trim()).filter(Boolean), peer];
  // Fewer entries than proxies (a request that came round them): the leftmost one there is.
  return chain[Math.max(0, chain.length - 1 - hops)]!;
}

export function createSigninThrottle(db: Database, clock: () => Date) {
  return {
    /** 429 with Retry-After while the account or the client is locked; checked before any password work. */
    async assertOpen(keys: SigninKeys) {
      const now = clock();
      for (const [key, whose] of [
        [keys.client, "from this address"],
        [keys.account, "for this account"],
      ] as const) {
        const row = await repo.signinFailures(db, key);
        if (row?.locked_until && row.locked_until > now) {
          const retryAfter = Math.ceil((row.locked_until.getTime() - now.getTime()) / 1000);
          throw new Problem(429, "signin_locked", "Too many failed sign-ins", `Too many failed sign-ins ${whose}. Try again in ${Math.ceil(retryAfter / 60)} minutes.`, {
            retryAfter,
            params: { minutes: Math.ceil(retryAfter / 60) },
          });
        }
      }
    },
    async failed(keys: SigninKeys) {
      const now = clock();
      await repo.recordSigninFailure(db, keys.account, now, WINDOW_MS, SIGNIN_LIMIT, LOCK_MS);
      await repo.recordSigninFailure(db, keys.client, now, WINDOW_MS, CLIENT_SIGNIN_LIMIT, LOCK_MS);
    },
    /** Only the account is cleared: a success of one's own must not reset an address's count of failures. */
    succeeded: (keys: SigninKeys) => repo.clearSigninFailures(db, keys.account),
  };
}

export type SigninThrottle = ReturnType<typeof createSigninThrottle>;
