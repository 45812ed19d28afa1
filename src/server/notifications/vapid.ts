import type { Database } from "../db/database.ts";
import type { SecretBox } from "../line/secrets.ts";
import { notificationRepository as repo } from "./repository.ts";

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The deployment's VAPID key pair, made once and kept in the database (docs/decisions.md): every
 * instance must sign with the key the browsers subscribed with, and a key kept in one instance's
 * DATA_DIR would not be seen by the others. Racing first starts keep whichever pair was stored first.
 */
export async function loadVapidKeys(db: Database, box: SecretBox): Promise<VapidKeys> {
  let row = await repo.vapidKeys(db);
  if (!row) {
    // Only a deployment's first start makes keys; web-push is otherwise loaded by the first push.
    const fresh = (await import("web-push")).default.generateVAPIDKeys();
    await repo.insertVapidKeys(db, fresh.publicKey, box.seal(fresh.privateKey));
    row = (await repo.vapidKeys(db))!;
  }
  return { publicKey: row.public_key, privateKey: box.open(row.private_key_enc) };
}
