import { LineAccountSection } from "../features/admin/line-account-section.tsx";
import { LineChannelsSection } from "../features/admin/line-channels-section.tsx";
import { LineFailedEvents } from "../features/admin/line-failed-events.tsx";
import { useSession } from "../features/session/session-context.tsx";

/** Admin → LINE channels: the connected channels, how the account behaves, then the webhook events parked as failed. */
export function AdminLinePage() {
  const { tenant } = useSession();
  return (
    <div className="page">
      <LineChannelsSection />
      {/* Keyed by the saved settings: after a save the form starts again from what the server holds. */}
      <LineAccountSection key={JSON.stringify(tenant.lineAccount)} tenant={tenant} />
      <LineFailedEvents />
    </div>
  );
}
