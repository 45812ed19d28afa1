import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useMe } from "../../api/session.ts";
import { LoadError, Loading } from "../../components/states.tsx";
import { problemSentence } from "../../i18n/problem-text.ts";

/**
 * Whether the member may chat with LINE users, and if not, why and who can change it
 * (DESIGN §2.1: never a blank page). Reads /me afresh on mount, since an administrator may
 * have changed the setting since the shell loaded.
 */
export function LineAvailability({ emptyText, listLabel }: { emptyText: string; listLabel: string }) {
  const { t } = useTranslation();
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.isError) return <LoadError error={me.error} onRetry={() => void me.refetch()} />;

  const { lineAccess, member } = me.data;
  if (!lineAccess.allowed) {
    const why =
      lineAccess.reason === "plan_required"
        ? t("line.planRequired")
        : problemSentence({
            type: "/problems/line_not_allowed",
            code: "line_not_allowed",
            title: "",
            status: 403,
            params: { ...(lineAccess.why ? { reason: lineAccess.why } : {}), ...(lineAccess.refusal ? { refusal: lineAccess.refusal } : {}) },
          });
    return (
      <section className="card unavailable" aria-labelledby="line-unavailable-title">
        <h2 id="line-unavailable-title">{t("line.unavailableTitle")}</h2>
        <p className="unavailable-reason">{why}</p>
        {member.role === "admin" ? (
          <Link to="/admin" className="button button-primary">
            {t("line.changeInAdmin")}
          </Link>
        ) : (
          <p className="hint">{t("line.askAdmin")}</p>
        )}
      </section>
    );
  }
  return (
    <section className="card empty" aria-label={listLabel}>
      <p>{emptyText}</p>
    </section>
  );
}
