import { useTranslation } from "react-i18next";
import { useRouteError } from "react-router";
import { LoadError } from "../components/states.tsx";

/** A render error anywhere in a route shows what failed and a reload, never a blank screen. */
export function RouteError() {
  const error = useRouteError();
  const { t } = useTranslation();
  return (
    <main className="page" id="main">
      <h1>{t("common.errorTitle")}</h1>
      <LoadError error={error} onRetry={() => window.location.reload()} />
    </main>
  );
}
