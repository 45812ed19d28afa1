import type { DeliveryRecord } from "./webhooks/delivery.ts";
import type { ApiRequest, UserMessageInput } from "./platform.ts";
import type { SpecViolation } from "./api/spec-guard.ts";
import type { ChatEntry, DeliverySettings, EmulatorChannel } from "./state.ts";
import type { WebhookEvent } from "./webhooks/events.ts";

export interface EmulatorUser {
  userId: string;
  displayName: string;
  statusMessage?: string;
  language?: string;
  pictureUrl?: string;
}

export interface UserActionResult {
  webhookEventId: string;
  replyToken?: string;
  event: WebhookEvent;
  /** The first delivery attempt (absent when no webhook URL is set). */
  delivery?: DeliveryRecord;
}

export class EmulatorApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`LINE emulator answered ${status}: ${JSON.stringify(body)}`);
  }
}

/** Typed client for the emulator's control API (`/__emulator/api/`), for tests and tools. */
export class EmulatorControlClient {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(`/__emulator/api${path}`, this.baseUrl), {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => undefined)) as unknown;
    if (!res.ok) throw new EmulatorApiError(res.status, json);
    return json as T;
  }

  registerChannel(ch: EmulatorChannel) {
    return this.call<{ channelId: string; botUserId: string; webhookUrl?: string; delivery: DeliverySettings }>("POST", "/channels", ch);
  }
  setDelivery(channelId: string, settings: Partial<DeliverySettings>) {
    return this.call<DeliverySettings>("PUT", `/channels/${channelId}/delivery`, settings);
  }
  verifyWebhook(channelId: string) {
    return this.call<{ delivery?: DeliveryRecord }>("POST", `/channels/${channelId}/verify`);
  }
  deliveries(channelId: string) {
    return this.call<DeliveryRecord[]>("GET", `/channels/${channelId}/deliveries`);
  }
  createUser(input: { displayName: string; statusMessage?: string; pictureBase64?: string; pictureContentType?: string; language?: string }) {
    return this.call<EmulatorUser>("POST", "/users", input);
  }
  users() {
    return this.call<EmulatorUser[]>("GET", "/users");
  }
  updateUser(userId: string, patch: { displayName?: string; statusMessage?: string; pictureBase64?: string; pictureContentType?: string }) {
    return this.call<EmulatorUser>("PATCH", `/users/${userId}`, patch);
  }
  follow(userId: string, channelId: string) {
    return this.call<UserActionResult>("POST", `/users/${userId}/follow`, { channelId });
  }
  unfollow(userId: string, channelId: string) {
    return this.call<UserActionResult>("POST", `/users/${userId}/unfollow`, { channelId });
  }
  sendMessage(userId: string, channelId: string, message: UserMessageInput) {
    return this.call<UserActionResult & { messageId: string }>("POST", `/users/${userId}/messages`, { channelId, message });
  }
  postback(userId: string, channelId: string, data: string) {
    return this.call<UserActionResult>("POST", `/users/${userId}/postback`, { channelId, data });
  }
  unsend(userId: string, channelId: string, messageId: string) {
    return this.call<UserActionResult>("POST", `/users/${userId}/unsend`, { channelId, messageId });
  }
  chat(userId: string, channelId: string) {
    return this.call<ChatEntry[]>("GET", `/users/${userId}/chat?channelId=${encodeURIComponent(channelId)}`);
  }
  addFault(fault: { path: string; status: number; times?: number }) {
    return this.call<{ path: string; status: number; times: number }>("POST", "/faults", fault);
  }
  /** The next `times` requests on `path` get no answer until `releaseHolds()`: a LINE that hangs. */
  addHold(hold: { path: string; times?: number }) {
    return this.call<{ path: string; times: number }>("POST", "/holds", hold);
  }
  /** How many requests the emulator is holding unanswered now. */
  holds() {
    return this.call<{ held: number }>("GET", "/holds");
  }
  releaseHolds() {
    return this.call<{ released: number }>("POST", "/holds/release");
  }
  /** Requests the emulator refused because LINE's OpenAPI documents do not allow them. */
  violations() {
    return this.call<SpecViolation[]>("GET", "/violations");
  }
  /** The latest requests the emulator received on LINE's paths, oldest first. */
  requests() {
    return this.call<ApiRequest[]>("GET", "/requests");
  }
  clearViolations() {
    return this.call<undefined>("DELETE", "/violations");
  }
}
