import crypto from "node:crypto";
import type { Logger } from "pino";
import type { ChannelState, EmulatorState } from "../state.ts";
import type { WebhookEvent } from "./events.ts";

export interface DeliveryRecord {
  channelId: string;
  at: number;
  /** HTTP status of the receiver; 0 when it timed out or could not be reached. */
  status: number;
  durationMs: number;
  isRedelivery: boolean;
  eventIds: string[];
  error?: string;
  /** When the next attempt of a failed delivery is due (epoch ms); absent when none will be made. */
  nextAttemptAt?: number;
}

export interface DeliveryOptions {
  /** LINE treats a webhook that takes longer than this as failed. */
  timeoutMs: number;
  /** Waits before each redelivery attempt (only when redelivery is on for the channel). */
  redeliveryDelaysMs: number[];
  /** How long `batch` collects events before sending them together. */
  batchWindowMs: number;
  /** How long `reorder` holds a delivery waiting for the next one to overtake it. */
  reorderHoldMs: number;
}

interface Unit {
  events: WebhookEvent[];
  done: (r: DeliveryRecord | undefined) => void;
}

export function signWebhook(body: string, channelSecret: string): string {
  return crypto.createHmac("sha256", channelSecret).update(body).digest("base64");
}

/**
 * Sends webhooks the way the LINE platform does: signed over the exact bytes, 2 s budget,
 * redelivery with the same webhookEventId, plus per-channel switches that provoke the
 * delivery anomalies (duplicates, reordering, batching) a connector must survive.
 */
export class WebhookDispatcher {
  readonly log: DeliveryRecord[] = [];
  private readonly pendingBatch = new Map<string, { units: Unit[]; timer: NodeJS.Timeout }>();
  private readonly held = new Map<string, { unit: Unit; timer: NodeJS.Timeout }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly state: EmulatorState,
    private readonly opts: DeliveryOptions,
    private readonly logger?: Logger,
  ) {}

  /** Queues events for the channel; resolves with the first attempt of the delivery that carried them. */
  send(channelId: string, events: WebhookEvent[]): Promise<DeliveryRecord | undefined> {
    const channel = this.state.channels.get(channelId);
    if (!channel) return Promise.resolve(undefined);
    return new Promise((done) => {
      const unit: Unit = { events, done };
      if (channel.delivery.batch) this.addToBatch(channel, unit);
      else this.route(channel, unit);
    });
  }

  /** The empty `{destination, events: []}` post LINE uses to check an endpoint. */
  verify(channelId: string, endpoint?: string): Promise<DeliveryRecord | undefined> {
    const channel = this.state.channels.get(channelId);
    if (!channel) return Promise.resolve(undefined);
    return this.attempt(channel, [], false, endpoint);
  }

  deliveriesFor(channelId: string): DeliveryRecord[] {
    return this.log.filter((d) => d.channelId === channelId);
  }

  close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const b of this.pendingBatch.values()) clearTimeout(b.timer);
    for (const h of this.held.values()) clearTimeout(h.timer);
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private addToBatch(channel: ChannelState, unit: Unit) {
    const pending = this.pendingBatch.get(channel.channelId);
    if (pending) {
      pending.units.push(unit);
      return;
    }
    const timer = setTimeout(() => {
      const batch = this.pendingBatch.get(channel.channelId);
      this.pendingBatch.delete(channel.channelId);
      if (!batch) return;
      const events = batch.units.flatMap((u) => u.events).sort((a, b) => a.timestamp - b.timestamp);
      this.route(channel, {
        events,
        done: (r) => batch.units.forEach((u) => u.done(r)),
      });
    }, this.opts.batchWindowMs);
    this.pendingBatch.set(channel.channelId, { units: [unit], timer });
  }

  /** With `reorder`, a delivery waits for the next one and is sent after it (a swap). */
  private route(channel: ChannelState, unit: Unit) {
    if (!channel.delivery.reorder) return void this.dispatch(channel, unit);
    const events = [...unit.events].sort((a, b) => b.timestamp - a.timestamp);
    const reordered: Unit = { events, done: unit.done };
    const held = this.held.get(channel.channelId);
    if (held) {
      clearTimeout(held.timer);
      this.held.delete(channel.channelId);
      void this.dispatch(channel, reordered).then(() => this.dispatch(channel, held.unit));
      return;
    }
    const timer = setTimeout(() => {
      this.held.delete(channel.channelId);
      void this.dispatch(channel, reordered);
    }, this.opts.reorderHoldMs);
    this.held.set(channel.channelId, { unit: reordered, timer });
  }

  private async dispatch(channel: ChannelState, unit: Unit): Promise<void> {
    const first = await this.attempt(channel, unit.events, false);
    if (channel.delivery.duplicate) await this.attempt(channel, unit.events, false);
    // Scheduled before the caller hears of the attempt, so its record already says whether another follows.
    if (first && !ok(first) && channel.delivery.redelivery) this.redeliver(channel, unit.events, 0, first);
    unit.done(first);
  }

  private redeliver(channel: ChannelState, events: WebhookEvent[], n: number, failed: DeliveryRecord) {
    const delay = this.opts.redeliveryDelaysMs[n];
    if (delay === undefined || this.closed) return;
    failed.nextAttemptAt = Date.now() + delay;
    this.later(delay, () => {
      void this.attempt(channel, events, true).then((r) => {
        if (r && !ok(r)) this.redeliver(channel, events, n + 1, r);
      });
    });
  }

  private async attempt(channel: ChannelState, events: WebhookEvent[], isRedelivery: boolean, endpoint?: string) {
    const url = endpoint ?? channel.webhookUrl;
    if (!url || this.closed || (!endpoint && !channel.webhookActive)) return undefined;
    const body = JSON.stringify({
      destination: channel.botUserId,
      events: events.map((e) => ({ ...e, deliveryContext: { isRedelivery } })),
    });
    const started = Date.now();
    const record: DeliveryRecord = {
      channelId: channel.channelId,
      at: started,
      status: 0,
      durationMs: 0,
      isRedelivery,
      eventIds: events.map((e) => e.webhookEventId),
    };
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "user-agent": "LineBotWebhook/2.0",
          "x-line-signature": signWebhook(body, channel.channelSecret),
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      record.status = res.status;
    } catch (err) {
      record.error = (err as Error).name === "TimeoutError" ? "timeout" : (err as Error).message;
    }
    record.durationMs = Date.now() - started;
    this.log.push(record);
    if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    this.logger?.debug({ delivery: record }, "webhook delivered");
    return record;
  }
}

const ok = (r: DeliveryRecord) => r.status >= 200 && r.status < 300;
