import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SPEC_DIR, validateSchema } from "./spec.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("LINE's specs", () => {
  it("are read from the repository's own copy, so a clone anywhere passes its spec checks", () => {
    if (process.env.LINE_OPENAPI_DIR) return;
    expect(path.relative(REPO, SPEC_DIR)).toBe(path.join("spec", "line-openapi"));
    for (const file of ["messaging-api.yml", "webhook.yml", "channel-access-token.yml", "LICENSE", "SOURCE.md"])
      expect(fs.existsSync(path.join(SPEC_DIR, file)), file).toBe(true);
    expect(validateSchema("webhook.yml", "CallbackRequest", { destination: "U0123456789abcdef0123456789abcdef", events: [] }).valid).toBe(true);
  });
});
