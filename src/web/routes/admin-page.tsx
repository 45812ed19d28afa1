import { useTranslation } from "react-i18next";
import { Outlet, type RouteObject } from "react-router";
import { AdminNav } from "../features/admin/admin-nav.tsx";
import { LinePolicySection } from "../features/admin/line-policy-section.tsx";
import { PlanSection } from "../features/admin/plan-section.tsx";
import { useSession } from "../features/session/session-context.tsx";
import { AdminAuditPage } from "./admin-audit-page.tsx";
import { AdminContactSettingsPage } from "./admin-contact-settings-page.tsx";
import { AdminContactsPage, NoAdminContactSelected } from "./admin-contacts-page.tsx";
import { AdminLinePage } from "./admin-line-page.tsx";
import { AdminContactDetails } from "../features/admin/admin-contact-details.tsx";

/**
 * The admin area: one heading, the section tabs, and the section. Members get the "admins only"
 * state at every admin address (the server refuses them with 403 as well).
 */
export function AdminPage() {
  const { t } = useTranslation();
  const { member } = useSession();
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
    <div className="admin-area">
      <h1>{t("admin.title")}</h1>
      <AdminNav />
      <Outlet />
    </div>
  );
}

/** `/admin`: the plan and "Chat with LINE users". */
function AdminCompanyPage() {
  const { tenant } = useSession();
  return (
    <div className="page">
      {/* Keyed by the saved settings: after a save the forms start again from what the server holds. */}
      <PlanSection key={tenant.plan} tenant={tenant} />
      <LinePolicySection key={JSON.stringify(tenant.line)} tenant={tenant} />
    </div>
  );
}

/** The sections under `/admin` (router.tsx mounts them as the admin route's children). */
export const adminRoutes: RouteObject[] = [
  { index: true, element: <AdminCompanyPage /> },
  {
    path: "contacts",
    element: <AdminContactsPage />,
    children: [
      { index: true, element: <NoAdminContactSelected /> },
      { path: ":contactId", element: <AdminContactDetails /> },
    ],
  },
  { path: "contact-settings", element: <AdminContactSettingsPage /> },
  { path: "line", element: <AdminLinePage /> },
  { path: "audit", element: <AdminAuditPage /> },
];
