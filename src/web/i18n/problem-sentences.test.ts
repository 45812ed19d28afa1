import { describe, expect, it } from "vitest";
import { LINE_REFUSALS, NAME_REFUSALS, PROBLEM_CODES } from "../../shared/problems.ts";
import { en } from "./en.ts";
import { ja } from "./ja.ts";
import { ko } from "./ko.ts";

// Every problem code the server may answer with has a sentence in every language, so the web app
// never falls back to the general one (or to English) for a known refusal.
describe("problem sentences", () => {
  for (const [lang, messages] of Object.entries({ en, ja, ko })) {
    it(`${lang} words every problem code, LINE gate reason and name refusal`, () => {
      const sentences = messages.problems as Record<string, unknown>;
      const missing = PROBLEM_CODES.filter((code) => typeof sentences[code] !== "string" && typeof sentences[`${code}_other`] !== "string");
      expect(missing).toEqual([]);
      const gate = LINE_REFUSALS.filter((r) => r !== "policy_off" && typeof sentences[`line_not_allowed_${r}`] !== "string");
      expect(gate).toEqual([]);
      expect(Object.keys(messages.problems.refusal).sort()).toEqual([...NAME_REFUSALS].sort());
    });
  }
});
