import { useTranslation } from "react-i18next";
import { useLinePublicUrl } from "../../api/line-admin.ts";
import { LoadError, Loading } from "../../components/states.tsx";

/**
 * Admin → LINE: the address LINE fetches pushed images and sender icons from. LINE takes only
 * HTTPS, so live mode on http (allowed by LINE_ALLOW_INSECURE_PUBLIC_URL=1 alone) is shown as a
 * warning here, where the administrator looks when LINE users say images do not arrive.
 */
export function LinePublicUrlSection() {
  const { t } = useTranslation();
  const state = useLinePublicUrl();
  const body = () => {
    if (state.isPending) return <Loading />;
    if (state.isError) return <LoadError error={state.error} onRetry={() => void state.refetch()} />;
    const { lineMode, publicBaseUrl, https, insecureAllowed } = state.data;
    const status = lineMode === "emulator" ? "emulator" : https ? "https" : "insecure";
    return (
      <>
        <dl className="line-channel-facts">
          <dt>{t("adminLine.publicUrl.modeLabel")}</dt>
          <dd>{t(`adminLine.publicUrl.mode.${lineMode}`)}</dd>
          <dt>{t("adminLine.publicUrl.address")}</dt>
          <dd>
            <code>{publicBaseUrl}</code>
          </dd>
        </dl>
        <p className={`line-public-url-state line-public-url-${status}`} data-state={insecureAllowed ? "insecure-allowed" : status}>
          {t(`adminLine.publicUrl.${status}`)}
        </p>
      </>
    );
  };
  return (
    <section className="card line-public-url" aria-labelledby="line-public-url-title">
      <h2 id="line-public-url-title">{t("adminLine.publicUrl.title")}</h2>
      {body()}
    </section>
  );
}
