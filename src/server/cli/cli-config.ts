import { ConfigError, loadConfig, type Config } from "../config.ts";

/** The configuration for a command-line tool; a bad variable is printed and the caller exits with status 2. */
export function cliConfig(): Config | undefined {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return undefined;
  }
}
