import { LineChannelsSection } from "../features/admin/line-channels-section.tsx";
import { LineFailedEvents } from "../features/admin/line-failed-events.tsx";
import { LinePublicUrlSection } from "../features/admin/line-public-url-section.tsx";

/**
 * Admin → LINE channels: the public address LINE fetches media from (first: a warning there explains
 * images LINE users never see), the connected channels, then the webhook events parked as failed.
 */
export function AdminLinePage() {
  return (
    <div className="page">
      <LinePublicUrlSection />
      <LineChannelsSection />
      <LineFailedEvents />
    </div>
  );
}
