import { useTranslation } from "react-i18next";
import { LinePolicySection } from "../features/admin/line-policy-section.tsx";
import { PlanSection } from "../features/admin/plan-section.tsx";
import { useSession } from "../features/session/session-context.tsx";

export function AdminPage() {
  const { t } = useTranslation();
  const { member, tenant } = useSession();
  if (member.role !== "admin") {
    return (
      <div className="page">
        <h1>{t("admin.title")}</h1>
        <p className="inline-problem" role="alert">
          {t("admin.adminsOnly")}
        </p>
      </div>
    );
  }
  return (
    <div className="page">
      <h1>{t("admin.title")}</h1>
      {/* Keyed by the saved settings: after a save the forms start again from what the server holds. */}
      <PlanSection key={tenant.plan} tenant={tenant} />
      <LinePolicySection key={JSON.stringify(tenant.line)} tenant={tenant} />
    </div>
  );
}
