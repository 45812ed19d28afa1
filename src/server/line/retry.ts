import { writeAudit } from "../audit/audit.ts";
import type { Database } from "../db/database.ts";
import type { Auth } from "../directory/service.ts";
import { problems } from "../http/problem.ts";
import type { Inbox } from "./inbox.ts";
import { lineRepository as repo } from "./repository.ts";

/**
 * An administrator's retry of a webhook event parked as failed (usually after fixing what made
 * it fail). The event goes back to pending with a new job, and the retry is audited, in one
 * transaction; the row lock makes a second, concurrent retry see "pending" and get 409.
 */
export async function retryFailedEvent(deps: { db: Database; inbox: Pick<Inbox, "requeue"> }, auth: Auth, eventId: number) {
  if (auth.member.role !== "admin") throw problems.adminRequired();
  return deps.db.transaction(async (tx) => {
    const event = await repo.lockTenantEvent(tx, auth.tenant.id, eventId);
    if (!event) throw problems.notFound("LINE event");
    if (event.state !== "failed")
      throw problems.conflict("line_event_not_failed", `Only failed events can be retried; this one is ${event.state}.`);
    const reopened = await deps.inbox.requeue(tx, event);
    await writeAudit(tx, {
      tenantId: auth.tenant.id,
      actorId: auth.member.id,
      action: "line_event.retry",
      targetType: "line_event",
      targetId: String(event.id),
      detail: { webhookEventId: event.webhook_event_id, type: event.event_type, channelId: event.line_channel_id },
    });
    return { ...reopened, line_channel_id: event.line_channel_id };
  });
}
