import { LineAccountSection } from "../features/admin/line-account-section.tsx";
import { LineChannelsSection } from "../features/admin/line-channels-section.tsx";
import { LineFailedEvents } from "../features/admin/line-failed-events.tsx";
import { LinePublicUrlSection } from "../features/admin/line-public-url-section.tsx";
import { useSession } from "../features/session/session-context.tsx";

/**
 * Admin → LINE channels: the public address LINE fetches media from (first: a warning there explains
 * images LINE users never see), the connected channels, how the account behaves, then the webhook
 * events parked as failed.
 */
export function AdminLinePage() {
  const { tenant } = useSession();
  return (
    <div className="page">
      <LinePublicUrlSection />
      <LineChannelsSection />
      {/* Keyed by the saved settings: after a save the form starts again from what the server holds. */}
      <LineAccountSection key={JSON.stringify(tenant.lineAccount)} tenant={tenant} />
      <LineFailedEvents />
    </div>
  );
}
