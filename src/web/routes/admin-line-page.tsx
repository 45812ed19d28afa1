import { LineChannelsSection } from "../features/admin/line-channels-section.tsx";
import { LineFailedEvents } from "../features/admin/line-failed-events.tsx";

/** Admin → LINE channels: the connected channels, then the webhook events parked as failed. */
export function AdminLinePage() {
  return (
    <div className="page">
      <LineChannelsSection />
      <LineFailedEvents />
    </div>
  );
}
