import { ConfigError, loadConfig } from "./config.ts";
import { startServer } from "./server.ts";

try {
  const config = loadConfig();
  const running = await startServer(config);
  const lines = [`Tsunagu is running at ${running.url}`];
  if (running.demo) {
    lines.push(
      "Demo company created. Sign in as admin@demo.example, sato@demo.example or kim@demo.example",
      running.demo.generated
        ? `with the password: ${running.demo.password}   (shown only now; set DEMO_PASSWORD to choose one)`
        : "with the password from DEMO_PASSWORD.",
    );
  }
  console.log(`\n${lines.join("\n")}\n`);
  const shutdown = async (signal: string) => {
    running.log.info({ signal }, "shutting down");
    await running.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
