import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import type { FileStore } from "../files/store.ts";
import type { CpuPool } from "../cpu/pool.ts";
import type { JobHandlers } from "../jobs/queue.ts";
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
}

/**
 * The contacts domain, assembled once per server. The server wires four things:
 * `routes()` under /api/v1 (behind the session middleware), `jobs` into the worker,
 * `lineHandlers` into the LINE connector's handler registry, and `scheduleSweep()` at start.
 */
export function createContacts(deps: ContactsModuleDeps) {
  const service = createContactsService(deps);
  const admin = createContactsAdmin({ db: deps.db, clock: deps.clock, contacts: service });
  const sync = createContactLineSync(deps);
  const imports = createContactImports({ db: deps.db, cpu: deps.cpu, clock: deps.clock, contacts: service });
  return {
    service,
    admin,
    routes() {
      const app = contactRoutes(service);
      app.route("/", contactAdminRoutes(admin));
      app.route("/", contactImportRoutes(imports));
      return app;
    },
    jobs: { ...sync.jobs, ...imports.jobs } satisfies JobHandlers,
    lineHandlers: sync.handlers,
    scheduleSweep: sync.scheduleSweep,
  };
}

export type Contacts = ReturnType<typeof createContacts>;
