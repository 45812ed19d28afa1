import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Tenant } from "../../../shared/directory.ts";
import { useSetPlan } from "../../api/directory.ts";
import { InlineProblem } from "../../components/states.tsx";
import { useToast } from "../../components/toast.tsx";

const PLANS = [
  { value: "standard", label: "admin.planStandard", help: "admin.planStandardHelp" },
  { value: "core", label: "admin.planCore", help: "admin.planCoreHelp" },
] as const;

export function PlanSection({ tenant }: { tenant: Tenant }) {
  const { t } = useTranslation();
  const toast = useToast();
  const setPlan = useSetPlan(() => toast(t("admin.planSaved")));
  const [plan, setPlanChoice] = useState(tenant.plan);

  function submit(e: FormEvent) {
    e.preventDefault();
    setPlan.mutate(plan);
  }

  return (
    <section className="card" aria-labelledby="plan-title">
      <h2 id="plan-title">{t("admin.planTitle")}</h2>
      <form onSubmit={submit}>
        <fieldset className="choices">
          <legend className="visually-hidden">{t("admin.planTitle")}</legend>
          {PLANS.map((p) => (
            <div className="choice" key={p.value}>
              <label>
                <input
                  type="radio"
                  name="plan"
                  value={p.value}
                  checked={plan === p.value}
                  onChange={() => setPlanChoice(p.value)}
                  aria-describedby={`plan-help-${p.value}`}
                />
                <strong>{t(p.label)}</strong>
              </label>
              <p className="hint" id={`plan-help-${p.value}`}>
                {t(p.help)}
              </p>
            </div>
          ))}
        </fieldset>
        <InlineProblem error={setPlan.error} />
        <button type="submit" className="button button-primary" disabled={setPlan.isPending} aria-busy={setPlan.isPending}>
          {setPlan.isPending ? t("common.saving") : t("admin.savePlan")}
        </button>
      </form>
    </section>
  );
}
