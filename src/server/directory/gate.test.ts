import { describe, expect, it } from "vitest";
import { lineAccess, lineNameRefusal } from "./gate.ts";

const core = { name: "Acme", plan: "core", line_policy: "allow", line_grant: "all" } as const;
const sato = { display_name: "Sato", line_allowed: false };

describe("lineNameRefusal", () => {
  it.each([
    ["Sato Hanako", undefined],
    ["Caroline", undefined],
    ["佐藤 花子", undefined],
    ["LINE担当", "line_word"],
    ["Team line", "line_word"],
    ["Sato 😀", "emoji"],
  ])("%s", (name, reason) => {
    expect(lineNameRefusal(name)).toBe(reason);
  });
});

describe("lineAccess: plan × policy × member grant", () => {
  const plans = ["standard", "core"] as const;
  const policies = ["deny", "allow"] as const;
  const grants = ["all", "by_member"] as const;
  for (const plan of plans)
    for (const policy of policies)
      for (const grant of grants)
        for (const granted of [false, true]) {
          it(`${plan}/${policy}/${grant}/member granted=${granted}`, () => {
            const got = lineAccess(
              { ...core, plan, line_policy: policy, line_grant: grant },
              { ...sato, line_allowed: granted },
            );
            const expected =
              plan !== "core"
                ? "plan_required"
                : policy === "deny" || (grant === "by_member" && !granted)
                  ? "line_not_allowed"
                  : undefined;
            expect(got.allowed).toBe(expected === undefined);
            expect(got.reason).toBe(expected);
          });
        }

  it("refuses a member whose name LINE would refuse, with the reason", () => {
    const got = lineAccess(core, { display_name: "LINE Support", line_allowed: true });
    expect(got).toMatchObject({ allowed: false, reason: "line_not_allowed" });
    expect(got.detail).toMatch(/display name/);
  });
});
