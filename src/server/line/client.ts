import crypto from "node:crypto";
import { pipeline, type Readable } from "node:stream";
import { channelAccessToken, HTTPFetchError, messagingApi } from "@line/bot-sdk";
import { sizeLimit } from "../files/streaming.ts";

/** Where LINE's hosts are: LINE itself in live mode, the emulator's origin in emulator mode. */
export interface LineEndpoints {
  /** api.line.me: Messaging API, channel access tokens. */
  apiBaseUrl: string;
  /** api-data.line.me: message content. */
  dataApiBaseUrl: string;
  /** api.line.me for LINE Login's token endpoint. */
  loginBaseUrl: string;
  /** access.line.me: LINE Login's authorize page. */
  authorizeBaseUrl: string;
}

export const LIVE_ENDPOINTS: LineEndpoints = {
  apiBaseUrl: "https://api.line.me",
  dataApiBaseUrl: "https://api-data.line.me",
  loginBaseUrl: "https://api.line.me",
  authorizeBaseUrl: "https://access.line.me",
};

export type LineMessage = messagingApi.Message;

/**
 * A retry key (a UUID, as LINE wants) that is the same for the same `seed`: a job that derives it
 * from what it sends, or from its own id, sends once however often it runs — LINE accepts a key
 * once and answers 409 after.
 */
export function retryKeyFor(seed: string): string {
  const h = crypto.createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
export interface Sender {
  /** ≤ 20 characters; LINE refuses longer names. */
  name?: string;
  /** HTTPS URL of a square PNG ≤ 1 MB. */
  iconUrl?: string;
}

/** What happened to an outbound message, in the terms a message's delivery state uses. */
export type DeliveryResult =
  | {
      state: "sent";
      requestId: string | null;
      /** LINE's ids of the messages it accepted (`sentMessages[].id`), in the order sent. */
      sentMessageIds: string[];
      alreadyAccepted: boolean;
      via: "push" | "reply";
    }
  | { state: "failed"; reason: string; status: number | null };

export interface LineProfile {
  userId: string;
  displayName: string;
  pictureUrl: string | null;
  statusMessage: string | null;
  language: string | null;
}

export interface RetryPolicy {
  /** Delays before each retry; its length is the number of retries. */
  delaysMs: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

/** 0.5 s, 1 s, 2 s: long enough for a LINE hiccup, short enough to run inside a job. */
export const DEFAULT_RETRY: RetryPolicy = { delaysMs: [500, 1000, 2000] };
export const CONTENT_MAX_BYTES = 50 * 1024 * 1024;

/** How long a LINE call may go unanswered: the SDK's fetch has no timeout of its own, and a hung call would hold its job forever. */
export const DEFAULT_DEADLINE_MS = 20_000;

/** LINE did not answer in time; what was asked may or may not have happened (a push's retry key covers a retry). */
export class LineTimeoutError extends Error {
  constructor(ms: number) {
    super(`LINE did not answer within ${ms} ms`);
    this.name = "LineTimeoutError";
  }
}

const isRetryable = (err: unknown) =>
  err instanceof HTTPFetchError ? err.status === 429 || err.status >= 500 : err instanceof TypeError || err instanceof LineTimeoutError; // TypeError: fetch's network failure

function lineErrorMessage(err: unknown): string {
  if (err instanceof HTTPFetchError) {
    try {
      const body = JSON.parse(err.body) as { message?: string; details?: { message?: string; property?: string }[] };
      const details = body.details?.map((d) => `${d.property ?? ""} ${d.message ?? ""}`.trim()).join("; ");
      if (body.message) return details ? `${body.message} (${details})` : body.message;
    } catch {
      // LINE answered something that is not JSON; the status line says enough.
    }
    return err.message;
  }
  return (err as Error)?.message ?? String(err);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `sentMessages[].id` of a push or reply answer (or of a 409's body). */
function idsOf(body: unknown): string[] {
  const sent = (body as { sentMessages?: { id?: unknown }[] } | undefined)?.sentMessages;
  return Array.isArray(sent) ? sent.map((m) => m?.id).filter((id): id is string => typeof id === "string") : [];
}

export class LineApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const toApiError = (err: unknown) => new LineApiError(lineErrorMessage(err), err instanceof HTTPFetchError ? err.status : null);

/**
 * The Messaging API as Tsunagu uses it, on the official SDK pointed at `endpoints`, so the same
 * code talks to LINE and to the emulator.
 */
export function createLineClient(opts: { endpoints: LineEndpoints; accessToken: string; retry?: RetryPolicy; deadlineMs?: number }) {
  const api = new messagingApi.MessagingApiClient({ channelAccessToken: opts.accessToken, baseURL: opts.endpoints.apiBaseUrl });
  const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: opts.accessToken, baseURL: opts.endpoints.dataApiBaseUrl });
  const retry = opts.retry ?? DEFAULT_RETRY;
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  // The call itself cannot be aborted (the SDK takes no signal); it is abandoned, and undici closes it in the end.
  const within = <T>(call: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LineTimeoutError(deadlineMs)), deadlineMs);
    });
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  };
  const withSender = (messages: LineMessage[], sender?: Sender) =>
    sender && (sender.name || sender.iconUrl) ? messages.map((m) => ({ ...m, sender: { ...sender } })) : messages;

  async function push(to: string, messages: LineMessage[], o: { sender?: Sender; retryKey: string }): Promise<DeliveryResult> {
    const body = { to, messages: withSender(messages, o.sender) };
    for (let attempt = 0; ; attempt++) {
      try {
        // Every attempt carries the same retry key: LINE accepts it once and answers 409 after.
        const res = await within(api.pushMessageWithHttpInfo(body, o.retryKey));
        return { state: "sent", requestId: res.httpResponse.headers.get("x-line-request-id"), sentMessageIds: idsOf(res.body), alreadyAccepted: false, via: "push" };
      } catch (err) {
        if (err instanceof HTTPFetchError && err.status === 409 && err.headers.get("x-line-accepted-request-id")) {
          // LINE's 409 for a retry key it accepted before carries that request's sentMessages.
          return { state: "sent", requestId: err.headers.get("x-line-accepted-request-id"), sentMessageIds: idsOf(parseJson(err.body)), alreadyAccepted: true, via: "push" };
        }
        const delay = retry.delaysMs[attempt];
        if (!isRetryable(err) || delay === undefined) {
          return { state: "failed", reason: lineErrorMessage(err), status: err instanceof HTTPFetchError ? err.status : null };
        }
        await sleep(delay);
      }
    }
  }

  return {
    push,

    /**
     * Replies with a reply token. Tokens are single-use and expire after about a minute; LINE
     * then answers 400 "Invalid reply token", and the message goes out as a push instead.
     * (Reply takes no retry key: LINE rejects one on this endpoint.)
     */
    async reply(
      replyToken: string,
      messages: LineMessage[],
      o: { sender?: Sender; fallback?: { to: string; retryKey: string } } = {},
    ): Promise<DeliveryResult> {
      try {
        const res = await within(api.replyMessageWithHttpInfo({ replyToken, messages: withSender(messages, o.sender) }));
        return { state: "sent", requestId: res.httpResponse.headers.get("x-line-request-id"), sentMessageIds: idsOf(res.body), alreadyAccepted: false, via: "reply" };
      } catch (err) {
        const tokenUnusable = err instanceof HTTPFetchError && err.status === 400 && /reply token/i.test(err.body);
        if (tokenUnusable && o.fallback) return push(o.fallback.to, messages, { sender: o.sender, retryKey: o.fallback.retryKey });
        return { state: "failed", reason: lineErrorMessage(err), status: err instanceof HTTPFetchError ? err.status : null };
      }
    },

    /** undefined when LINE answers 404: the user blocked the account or never befriended it. */
    async getProfile(userId: string): Promise<LineProfile | undefined> {
      try {
        const p = await within(api.getProfile(userId));
        return {
          userId: p.userId,
          displayName: p.displayName,
          pictureUrl: p.pictureUrl ?? null,
          statusMessage: p.statusMessage ?? null,
          language: p.language ?? null,
        };
      } catch (err) {
        if (err instanceof HTTPFetchError && err.status === 404) return undefined;
        throw toApiError(err);
      }
    },

    /**
     * The bytes of an image, video, audio or file message the user sent, as a stream (videos and
     * files run to CONTENT_MAX_BYTES); it fails once more than that arrives.
     */
    async openContent(messageId: string): Promise<{ stream: Readable; contentType: string }> {
      try {
        const res = await within(blob.getMessageContentWithHttpInfo(messageId));
        const tooLarge = () => new LineApiError(`content of message ${messageId} exceeds ${CONTENT_MAX_BYTES} bytes`, null);
        return {
          // pipeline carries a failure either way: LINE's connection dropping fails the reader, and
          // a reader giving up (the store failed) closes LINE's connection.
          stream: pipeline(res.body, sizeLimit(CONTENT_MAX_BYTES, tooLarge), () => {}),
          contentType: res.httpResponse.headers.get("content-type") ?? "application/octet-stream",
        };
      } catch (err) {
        throw err instanceof LineApiError ? err : toApiError(err);
      }
    },

    /** Marks the user's messages up to the one that carried this token as read: LINE shows them "Read". */
    async markAsRead(markAsReadToken: string) {
      try {
        await within(api.markMessagesAsReadByToken({ markAsReadToken }));
      } catch (err) {
        throw toApiError(err);
      }
    },

    /** LINE's loading animation in the user's chat for `seconds` (5–60, a multiple of 5), or until a message arrives. */
    async showLoading(chatId: string, seconds: number) {
      try {
        await within(api.showLoadingAnimation({ chatId, loadingSeconds: seconds }));
      } catch (err) {
        throw toApiError(err);
      }
    },

    async botInfo() {
      try {
        return await within(api.getBotInfo());
      } catch (err) {
        throw toApiError(err);
      }
    },

    async setWebhookEndpoint(endpoint: string) {
      try {
        await within(api.setWebhookEndpoint({ endpoint }));
      } catch (err) {
        throw toApiError(err);
      }
    },
  };
}

export type LineClient = ReturnType<typeof createLineClient>;

/** Issues a short-lived (30-day) channel access token from the channel id and secret. */
export async function issueChannelAccessToken(endpoints: LineEndpoints, channelId: string, channelSecret: string) {
  const client = new channelAccessToken.ChannelAccessTokenClient({ baseURL: endpoints.apiBaseUrl });
  try {
    const res = await client.issueChannelToken("client_credentials", channelId, channelSecret);
    return { accessToken: res.access_token, expiresInSeconds: res.expires_in };
  } catch (err) {
    throw toApiError(err);
  }
}
