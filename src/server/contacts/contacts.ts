import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import type { FileStore } from "../files/store.ts";
import type { CpuPool } from "../cpu/pool.ts";
import { createContactsAdmin } from "./admin.ts";
import { contactAdminRoutes } from "./admin-routes.ts";
import { contactImportRoutes } from "./import-routes.ts";
import { createContactImports } from "./imports.ts";
import { createContactLineSync } from "./line-sync.ts";
import { contactRoutes } from "./routes.ts";
import { createContactsService } from "./service.ts";

export interface ContactsModuleDeps {
  db: Database;
  files: FileStore;
  clock: () => Date;
  log: Logger;
  /** vCard parsing for imports runs there. */
  cpu: CpuPool;
  /** Opening a LINE contact refreshes a stale LINE profile in the background (the LINE connector's). */
  refreshLineProfile: (lineUserId: string) => Promise<void>;
  /** The company's settings are part of every sign-in: the directory forgets its cached ones. */
  authChanged: () => void;
}

/**
 * The contacts domain, assembled once per server. The server wires four things:
 * `routes()` under /api/v1 (behind the session middleware), `jobs` into the job registry and
 * `lineHandlers` into the LINE connector's handler registry.
 */
export function createContacts(deps: ContactsModuleDeps) {
  const sync = createContactLineSync(deps);
  const service = createContactsService({ ...deps, queueLinePhoto: sync.queueLinePhoto });
  const admin = createContactsAdmin({ db: deps.db, clock: deps.clock, files: deps.files, contacts: service, authChanged: deps.authChanged });
  const imports = createContactImports({ db: deps.db, cpu: deps.cpu, clock: deps.clock, contacts: service });
  return {
    service,
    admin,
    routes() {
      const app = contactRoutes(service, deps.refreshLineProfile);
      app.route("/", contactAdminRoutes(admin));
      app.route("/", contactImportRoutes(imports));
      return app;
    },
    jobs: [...sync.jobs, ...imports.jobs],
    lineHandlers: sync.handlers,
  };
}

export type Contacts = ReturnType<typeof createContacts>;
