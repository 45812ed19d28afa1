import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { LinePolicy, Tenant } from "../../../shared/directory.ts";
import { useSetLinePolicy } from "../../api/directory.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";
import { MemberLineAccessList } from "./member-line-access-list.tsx";

/** "Chat with LINE users" (DESIGN §1): allow or not, to whom, new members, files. */
export function LinePolicySection({ tenant }: { tenant: Tenant }) {
  const { t } = useTranslation();
  const toast = useToast();
  const save = useSetLinePolicy(() => toast(t("admin.lineSaved")));
  const [policy, setPolicy] = useState<LinePolicy>(tenant.line);
  const change = (patch: Partial<LinePolicy>) => setPolicy((p) => ({ ...p, ...patch }));

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate(policy);
  }

  const allow = policy.policy === "allow";
  const byMember = allow && policy.grant === "by_member";
  const savedByMember = tenant.line.policy === "allow" && tenant.line.grant === "by_member";

  return (
    <section className="card" aria-labelledby="line-title">
      <h2 id="line-title">{t("admin.lineTitle")}</h2>
      <p className="hint">{t("admin.lineHelp")}</p>
      <form onSubmit={submit}>
        <fieldset className="choices choices-row">
          <legend className="visually-hidden">{t("admin.lineTitle")}</legend>
          <label className="choice">
            <input type="radio" name="line-policy" checked={!allow} onChange={() => change({ policy: "deny" })} />
            {t("admin.lineDeny")}
          </label>
          <label className="choice">
            <input type="radio" name="line-policy" checked={allow} onChange={() => change({ policy: "allow" })} />
            {t("admin.lineAllow")}
          </label>
        </fieldset>
        {allow && (
          <div className="nested">
            <fieldset className="choices">
              <legend>{t("admin.grantTitle")}</legend>
              <label className="choice">
                <input type="radio" name="line-grant" checked={policy.grant === "all"} onChange={() => change({ grant: "all" })} />
                {t("admin.grantAll")}
              </label>
              <label className="choice">
                <input type="radio" name="line-grant" checked={policy.grant === "by_member"} onChange={() => change({ grant: "by_member" })} />
                {t("admin.grantByMember")}
              </label>
              {policy.grant === "by_member" && (
                <label className="choice nested">
                  <input type="checkbox" checked={policy.grantNewMembers} onChange={(e) => change({ grantNewMembers: e.target.checked })} />
                  {t("admin.grantNewMembers")}
                </label>
              )}
            </fieldset>
            <label className="choice">
              <input type="checkbox" checked={policy.filesAllowed} onChange={(e) => change({ filesAllowed: e.target.checked })} />
              {t("admin.filesAllowed")}
            </label>
          </div>
        )}
        <InlineProblem error={save.error} />
        <button type="submit" className="button button-primary" disabled={save.isPending} aria-busy={save.isPending}>
          {save.isPending ? t("common.saving") : t("admin.saveLine")}
        </button>
      </form>
      {byMember && <MemberLineAccessList active={savedByMember} />}
    </section>
  );
}
