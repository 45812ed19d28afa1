import { useTranslation } from "react-i18next";

/** LINE's green mark beside a LINE room or user; the word keeps it readable without colour. */
export function LineBadge() {
  const { t } = useTranslation();
  return <span className="line-badge">{t("rooms.lineBadge")}</span>;
}
