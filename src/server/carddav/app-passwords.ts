import crypto from "node:crypto";
import { APP_PASSWORDS_MAX } from "../../shared/carddav.ts";
import { writeAudit } from "../audit/audit.ts";
import type { Database } from "../db/database.ts";
import { directoryRepository } from "../directory/repository.ts";
import { createSigninThrottle, signinKeys } from "../directory/signin-throttle.ts";
import type { Auth } from "../directory/service.ts";
import { Problem, problems } from "../http/problem.ts";
import { appPasswordRepository as repo } from "./repository.ts";

/** Who a CardDAV request acts for, once its app password checked out. */
export type DavUser = Pick<Auth, "member" | "tenant">;

export interface AppPasswordDeps {
  db: Database;
  clock: () => Date;
  /** The server's secret key (SECRET_KEY or $DATA_DIR/secret.key); app passwords are hashed with a key derived from it. */
  serverKey: Buffer;
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32 in lower case, which reads and types better than base64 on a phone. */
function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** What the member types may carry the dashes and spaces of the shown form, and capitals. */
const normalize = (secret: string) => secret.replace(/[\s-]/g, "").toLowerCase();

type Who = Pick<Auth, "member" | "tenant">;

export function createAppPasswords({ db, clock, serverKey }: AppPasswordDeps) {
  const throttle = createSigninThrottle(db, clock);
  // A key of its own, so the server key's other uses (sealing LINE secrets) never meet this one.
  const hashKey = crypto.createHmac("sha256", serverKey).update("tsunagu/carddav/app-password/v1").digest();
  // A fast hash is enough here, unlike for sign-in passwords (argon2): the secret is 256 random
  // bits, so there is no dictionary to try and nothing to gain from slowing each guess; and
  // CardDAV clients send it on every request, where argon2's cost would be paid each time.
  // Keyed (HMAC), so a copy of the table alone does not even let anyone test a leaked secret.
  const hashOf = (secret: string) => crypto.createHmac("sha256", hashKey).update(normalize(secret)).digest("base64url");

  return {
    async create(who: Who, label: string) {
      const secret = base32(crypto.randomBytes(32)).match(/.{1,4}/g)!.join("-");
      const row = await db.transaction(async (tx) => {
        if ((await repo.lockedCount(tx, who.member.id)) >= APP_PASSWORDS_MAX) {
          throw new Problem(409, "app_password_limit", "Too many app passwords", `You can keep ${APP_PASSWORDS_MAX} app passwords. Revoke one you no longer use.`, {
            params: { max: APP_PASSWORDS_MAX },
          });
        }
        const created = await repo.insert(tx, { memberId: who.member.id, label, secretHash: hashOf(secret), at: clock() });
        await writeAudit(tx, { tenantId: who.tenant.id, actorId: who.member.id, action: "app_password.create", targetType: "app_password", targetId: created.id, detail: { label } });
        return created;
      });
      return { row, secret };
    },

    list: (who: Who) => repo.list(db, who.member.id),

    revoke: (who: Who, id: string) =>
      db.transaction(async (tx) => {
        const removed = await repo.remove(tx, who.member.id, id);
        if (!removed) throw problems.notFound("App password");
        await writeAudit(tx, { tenantId: who.tenant.id, actorId: who.member.id, action: "app_password.revoke", targetType: "app_password", targetId: id, detail: { label: removed.label } });
      }),

    /**
     * The member behind HTTP Basic credentials: their login (e-mail or ID) and one of their app
     * passwords. Failures count per member and per client address like the web sign-in's, in
     * their own buckets (signin-throttle.ts); a lock answers 429 with Retry-After.
     */
    async verify(login: string, secret: string, client: string): Promise<DavUser | undefined> {
      if (!login || !secret) return undefined;
      const member = await directoryRepository.memberByLogin(db, login.trim());
      const keys = signinKeys("dav", member ? { memberId: member.id } : { login }, client);
      await throttle.assertOpen(keys);
      // Looked up by hash: an attacker cannot steer the lookup's timing toward a valid secret
      // without knowing the key, so no constant-time comparison is needed.
      const row = member && (await repo.bySecretHash(db, member.id, hashOf(secret)));
      const tenant = member && row && (await directoryRepository.tenant(db, member.tenant_id));
      if (!member || !row || !tenant) {
        await throttle.failed(keys);
        return undefined;
      }
      await throttle.succeeded(keys);
      await repo.touch(db, row.id, clock());
      return { member, tenant };
    },
  };
}

export type AppPasswords = ReturnType<typeof createAppPasswords>;
