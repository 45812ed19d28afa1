import type { Logger } from "pino";
import type { Auth } from "../directory/service.ts";

/** What middleware puts on the request context for routes to read. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    auth: Auth | undefined;
    /** See Config.trustProxyHops; read by clientAddress(). */
    trustProxyHops: number;
  };
}
