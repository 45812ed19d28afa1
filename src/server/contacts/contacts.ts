import type { Logger } from "pino";
import type { Database } from "../db/database.ts";
import type { FileStore } from "../files/store.ts";
import { createContactsAdmin } from "./admin.ts";
import { contactAdminRoutes } from "./admin-routes.ts";
import { createContactLineSync } from "./line-sync.ts";
import { contactRoutes } from "./routes.ts";
import { createContactsService } from "./service.ts";

export interface ContactsModuleDeps {
  db: Database;
  files: FileStore;
  clock: () => Date;
  log: Logger;
}

/**
 * The contacts domain, assembled once per server. The server wires four things:
 * `routes()` under /api/v1 (behind the session middleware), `jobs` into the job registry and
 * `lineHandlers` into the LINE connector's handler registry.
 */
export function createContacts(deps: ContactsModuleDeps) {
  const sync = createContactLineSync(deps);
  const service = createContactsService({ ...deps, queueLinePhoto: sync.queueLinePhoto });
  const admin = createContactsAdmin({ db: deps.db, clock: deps.clock, contacts: service });
  return {
    service,
    admin,
    routes() {
      const app = contactRoutes(service);
      app.route("/", contactAdminRoutes(admin));
      return app;
    },
    jobs: sync.jobs,
    lineHandlers: sync.handlers,
  };
}

export type Contacts = ReturnType<typeof createContacts>;
