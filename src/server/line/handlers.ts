import type { webhook } from "@line/bot-sdk";
import type { Logger } from "pino";
import type { Queryable } from "../db/database.ts";
import type { ChannelRow, LineUserRow } from "./repository.ts";

/**
 * What a domain handler gets for one LINE event: the open transaction (its writes commit with
 * the event's "processed" mark, or not at all), the channel, and the LINE user as the connector
 * has already updated it (follow state, profile).
 */
export interface LineEventContext {
  tx: Queryable;
  channel: ChannelRow;
  lineUser: LineUserRow;
  log: Logger;
  // No LINE client here on purpose: handlers run inside the event's transaction, and what they
  // want said to LINE goes out as a job after it commits (docs/decisions.md).
}

/** One message of a set-based batch: what `message` would get as its context and event. */
export interface BatchedMessage {
  channel: ChannelRow;
  lineUser: LineUserRow;
  ev: webhook.MessageEvent;
}

export interface MessageBatchPlan {
  /** Per message of the batch: handled by `apply` exactly as by `message`, which then would not consume it. */
  accepts: readonly boolean[];
  /** Does, set-based, what `message` would do for these messages of the batch (indexes into it, each LINE user's in order). */
  apply(indexes: readonly number[]): Promise<void>;
}

export interface ProfileChange {
  before: LineUserRow;
  after: LineUserRow;
}

/**
 * The seam where domain features (invitations, rooms, contacts) plug into the connector. Each
 * method is optional; a throw makes the event retry with backoff and, after the last attempt,
 * park as `failed` for administrators to see.
 */
export interface LineEventHandlers {
  follow?(ctx: LineEventContext, ev: webhook.FollowEvent): Promise<void>;
  unfollow?(ctx: LineEventContext, ev: webhook.UnfollowEvent): Promise<void>;
  /**
   * `"consumed"`: the message was a command to this feature (a Message ID typed to find a member),
   * not something said to a member, so the features after it (the room) do not see it.
   */
  message?(ctx: LineEventContext, ev: webhook.MessageEvent): Promise<void | "consumed">;
  /**
   * The same for many LINE users' messages at once (the drain's set-based path, docs/decisions.md
   * "Set-based drain"): reads what it needs for all of them, with the transaction's locks, and says
   * which ones `message`, run one by one in order, would handle exactly as `apply` does. A feature
   * with `message` but without `messages` sends every message through `message`.
   */
  messages?(tx: Queryable, batch: readonly BatchedMessage[]): Promise<MessageBatchPlan>;
  postback?(ctx: LineEventContext, ev: webhook.PostbackEvent): Promise<void>;
  unsend?(ctx: LineEventContext, ev: webhook.UnsendEvent): Promise<void>;
  /** A LINE user's name, picture, status message or language changed (contacts copy it). */
  profileChanged?(ctx: LineEventContext, change: ProfileChange): Promise<void>;
}

/**
 * In standby mode another channel of a module-channel setup is the one answering: LINE sends the
 * event so the account can read along, and it must not reply, push or act for the user.
 */
export const isStandby = (ev: { mode?: string }) => ev.mode === "standby";

/** The event types the connector dispatches; any other type is stored and marked ignored. */
export const DISPATCHED_TYPES = ["follow", "unfollow", "message", "postback", "unsend"] as const;
export type DispatchedType = (typeof DISPATCHED_TYPES)[number];
export const isDispatched = (type: string): type is DispatchedType => (DISPATCHED_TYPES as readonly string[]).includes(type);

export function createHandlerRegistry() {
  const registered: LineEventHandlers[] = [];
  return {
    /** Adds a feature's handlers; they run after those registered before them. Returns an unregister function. */
    register(handlers: LineEventHandlers): () => void {
      registered.push(handlers);
      return () => {
        const i = registered.indexOf(handlers);
        if (i >= 0) registered.splice(i, 1);
      };
    },

    async dispatch(type: DispatchedType, ctx: LineEventContext, ev: webhook.Event) {
      for (const h of [...registered]) {
        // The type guard in the caller matches `ev.type` to `type`, so the cast is to the right member.
        const fn = h[type] as ((ctx: LineEventContext, ev: webhook.Event) => Promise<void | "consumed">) | undefined;
        if (fn && (await fn.call(h, ctx, ev)) === "consumed") return;
      }
    },

    /**
     * Plans a batch of messages with every feature that handles messages: which of them all accept,
     * and the function that applies the ones the caller then chooses, feature by feature in
     * registration order. None is accepted while a feature handles messages one by one only.
     */
    async planMessages(tx: Queryable, batch: readonly BatchedMessage[]): Promise<MessageBatchPlan> {
      const features = registered.filter((h) => h.message || h.messages);
      if (!batch.length || features.some((h) => !h.messages)) return { accepts: batch.map(() => false), apply: async () => undefined };
      const plans: MessageBatchPlan[] = [];
      for (const h of features) plans.push(await h.messages!(tx, batch));
      return {
        accepts: batch.map((_, i) => plans.every((p) => p.accepts[i])),
        apply: async (indexes) => {
          for (const p of plans) await p.apply(indexes);
        },
      };
    },

    async profileChanged(ctx: LineEventContext, change: ProfileChange) {
      for (const h of [...registered]) if (h.profileChanged) await h.profileChanged(ctx, change);
    },
  };
}

export type HandlerRegistry = ReturnType<typeof createHandlerRegistry>;
