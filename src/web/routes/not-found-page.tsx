import { useTranslation } from "react-i18next";
import { Link } from "react-router";

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <div className="page">
      <h1>{t("common.notFoundTitle")}</h1>
      <p>{t("common.notFoundBody")}</p>
      <Link to="/message" className="button">
        {t("common.goHome")}
      </Link>
    </div>
  );
}
