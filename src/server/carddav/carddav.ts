import type { Database } from "../db/database.ts";
import { createAddressBook } from "./address-book.ts";
import { appPasswordRoutes } from "./app-password-routes.ts";
import { createAppPasswords } from "./app-passwords.ts";
import { carddavRoutes, wellKnownRoutes } from "./dav-routes.ts";
import { DAV_ROOT } from "./resources.ts";

export interface CarddavDeps {
  db: Database;
  clock: () => Date;
  /** The server's secret key; app passwords are hashed with a key derived from it. */
  serverKey: Buffer;
  /** Where browsers and clients reach this server (PUBLIC_BASE_URL, or the listening URL). */
  publicBaseUrl: () => string;
}

/**
 * The CardDAV address book, assembled once per server. The server wires `apiRoutes()` under
 * /api/v1 (members manage their app passwords) and `publicRoutes()` at the root (the DAV tree
 * and its /.well-known entry), both outside any other domain.
 */
export function createCarddav(deps: CarddavDeps) {
  const appPasswords = createAppPasswords(deps);
  const book = createAddressBook(deps);
  return {
    appPasswords,
    apiRoutes: () => appPasswordRoutes(appPasswords, { davUrl: () => `${deps.publicBaseUrl()}${DAV_ROOT}` }),
    publicRoutes: () => [
      { path: "/dav", app: carddavRoutes({ appPasswords, book }) },
      { path: "/.well-known", app: wellKnownRoutes() },
    ],
  };
}
