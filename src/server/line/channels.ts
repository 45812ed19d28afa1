import type { Logger } from "pino";
import type { z } from "zod";
import type { CreateLineChannelBody, UpdateLineChannelBody } from "../../shared/line.ts";
import { writeAudit } from "../audit/audit.ts";
import type { Database, Queryable } from "../db/database.ts";
import type { Auth } from "../directory/service.ts";
import { directoryRepository } from "../directory/repository.ts";
import { Problem, problems } from "../http/problem.ts";
import { createLineClient, issueChannelAccessToken, LineApiError, type LineClient, type LineEndpoints, type RetryPolicy } from "./client.ts";
import { lineRepository as repo, type ChannelChanges, type ChannelRow } from "./repository.ts";
import type { SecretBox } from "./secrets.ts";

/** Issued tokens live 30 days; a new one is fetched when less than this is left. */
const TOKEN_REFRESH_MARGIN_MS = 24 * 3600_000;

export interface ChannelServiceDeps {
  db: Database;
  box: SecretBox;
  endpoints: LineEndpoints;
  clock: () => Date;
  log: Logger;
  retry?: RetryPolicy;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

export function createChannelService({ db, box, endpoints, clock, log, retry }: ChannelServiceDeps) {
  /**
   * Asks LINE who the bot is (GET /v2/bot/info) and records its basic ID and name: the chat link
   * LINE users are sent to (`https://line.me/R/oaMessage/<basic id>/`) needs the basic ID. Called
   * outside any transaction; a LINE that does not answer leaves the channel as it was.
   */
  async function refreshBotInfo(channel: ChannelRow): Promise<ChannelRow> {
    try {
      const bot = await createLineClient({ endpoints, accessToken: await accessToken(channel), retry }).botInfo();
      if (bot.basicId === channel.basic_id && bot.displayName === channel.bot_name) return channel;
      return (await repo.updateChannel(db, channel.id, { basic_id: bot.basicId, bot_name: bot.displayName })) ?? channel;
    } catch (err) {
      log.warn({ err, channelId: channel.channel_id }, "LINE bot info not fetched; the channel keeps its basic ID and name");
      return channel;
    }
  }

  function requireAdmin(auth: Auth) {
    if (auth.member.role !== "admin") throw problems.adminRequired();
  }

  async function channelOrThrow(auth: Auth, id: string) {
    const c = await repo.tenantChannel(db, auth.tenant.id, id);
    if (!c) throw problems.notFound("LINE channel");
    return c;
  }

  async function checkDedicatedMember(auth: Auth, memberId: string | null | undefined) {
    if (memberId && !(await directoryRepository.member(db, auth.tenant.id, memberId)))
      throw problems.validation([{ path: "dedicatedMemberId", message: "no such member in your company" }]);
  }

  const taken = () =>
    new Problem(409, "line_channel_taken", "Channel already connected", "This LINE channel is already connected to Tsunagu.");

  /** Returns a usable access token, issuing a new one from id + secret when the channel works that way. */
  async function accessToken(channel: ChannelRow, tx: Queryable = db): Promise<string> {
    const fresh =
      channel.access_token_enc &&
      (channel.token_source === "static" ||
        (channel.access_token_expires_at && channel.access_token_expires_at.getTime() - clock().getTime() > TOKEN_REFRESH_MARGIN_MS));
    if (fresh) return box.open(channel.access_token_enc!);
    const issued = await issueChannelAccessToken(endpoints, channel.channel_id, box.open(channel.channel_secret_enc));
    const expires = new Date(clock().getTime() + issued.expiresInSeconds * 1000);
    await repo.updateChannel(tx, channel.id, { access_token_enc: box.seal(issued.accessToken), access_token_expires_at: expires });
    return issued.accessToken;
  }

  return {
    endpoints,
    requireAdmin,
    channelSecret: (channel: ChannelRow) => box.open(channel.channel_secret_enc),
    refreshBotInfo,

    /** At start: every channel's basic ID and name, one after the other, in the background. */
    async refreshAllBotInfo() {
      for (const channel of await repo.allChannels(db)) await refreshBotInfo(channel);
    },

    loginSecret: (channel: ChannelRow) => (channel.login_channel_secret_enc ? box.open(channel.login_channel_secret_enc) : null),
    accessToken,

    /** `deadlineMs`: how long one call may go unanswered (default DEFAULT_DEADLINE_MS). */
    async clientFor(channel: ChannelRow, tx?: Queryable, opts: { deadlineMs?: number } = {}): Promise<LineClient> {
      return createLineClient({ endpoints, accessToken: await accessToken(channel, tx), retry, deadlineMs: opts.deadlineMs });
    },

    async list(auth: Auth) {
      requireAdmin(auth);
      return repo.channels(db, auth.tenant.id);
    },

    async get(auth: Auth, id: string) {
      requireAdmin(auth);
      return channelOrThrow(auth, id);
    },

    async create(auth: Auth, body: z.output<typeof CreateLineChannelBody>) {
      requireAdmin(auth);
      await checkDedicatedMember(auth, body.dedicatedMemberId);
      try {
        const created = await db.transaction(async (tx) => {
          const c = await repo.insertChannel(tx, {
            tenant_id: auth.tenant.id,
            channel_id: body.channelId,
            mode: body.mode,
            dedicated_member_id: body.mode === "dedicated" ? body.dedicatedMemberId : null,
            channel_secret_enc: box.seal(body.channelSecret),
            token_source: body.channelAccessToken ? "static" : "issued",
            access_token_enc: body.channelAccessToken ? box.seal(body.channelAccessToken) : null,
            login_channel_id: body.loginChannelId,
            login_channel_secret_enc: body.loginChannelSecret ? box.seal(body.loginChannelSecret) : null,
            basic_id: body.basicId,
            bot_name: body.botName,
          });
          await writeAudit(tx, {
            tenantId: auth.tenant.id,
            actorId: auth.member.id,
            action: "line_channel.create",
            targetType: "line_channel",
            targetId: c.id,
            detail: { channelId: c.channel_id, mode: c.mode },
          });
          return c;
        });
        return await refreshBotInfo(created);
      } catch (err) {
        if (isUniqueViolation(err)) throw taken();
        throw err;
      }
    },

    async update(auth: Auth, id: string, body: z.output<typeof UpdateLineChannelBody>) {
      requireAdmin(auth);
      const current = await channelOrThrow(auth, id);
      await checkDedicatedMember(auth, body.dedicatedMemberId);
      const mode = body.mode ?? current.mode;
      const dedicated = body.dedicatedMemberId !== undefined ? body.dedicatedMemberId : current.dedicated_member_id;
      if (mode === "dedicated" && !dedicated)
        throw problems.validation([{ path: "dedicatedMemberId", message: "a dedicated channel names its member" }]);
      const loginId = body.loginChannelId !== undefined ? body.loginChannelId : current.login_channel_id;
      const hasLoginSecret = body.loginChannelSecret !== undefined ? !!body.loginChannelSecret : !!current.login_channel_secret_enc;
      if (!loginId !== !hasLoginSecret)
        throw problems.validation([{ path: "loginChannelSecret", message: "give the LINE Login channel id and its secret together" }]);

      const changes: ChannelChanges = {
        mode,
        dedicated_member_id: mode === "dedicated" ? dedicated : null,
        ...(body.channelSecret !== undefined && { channel_secret_enc: box.seal(body.channelSecret) }),
        ...(body.channelAccessToken !== undefined &&
          (body.channelAccessToken
            ? { token_source: "static" as const, access_token_enc: box.seal(body.channelAccessToken), access_token_expires_at: null }
            : { token_source: "issued" as const, access_token_enc: null, access_token_expires_at: null })),
        ...(body.loginChannelId !== undefined && { login_channel_id: body.loginChannelId }),
        ...(body.loginChannelSecret !== undefined && {
          login_channel_secret_enc: body.loginChannelSecret ? box.seal(body.loginChannelSecret) : null,
        }),
        ...(body.basicId !== undefined && { basic_id: body.basicId }),
        ...(body.botName !== undefined && { bot_name: body.botName }),
      };
      const saved = await db.transaction(async (tx) => {
        const c = (await repo.updateChannel(tx, id, changes))!;
        await writeAudit(tx, {
          tenantId: auth.tenant.id,
          actorId: auth.member.id,
          action: "line_channel.update",
          targetType: "line_channel",
          targetId: id,
          // Which fields changed, never their values: some are secrets.
          detail: { fields: Object.keys(body) },
        });
        return c;
      });
      return refreshBotInfo(saved);
    },

    /** Calls GET /v2/bot/info with the stored credentials and records the bot's basic id and name. */
    async verify(auth: Auth, id: string) {
      requireAdmin(auth);
      const channel = await channelOrThrow(auth, id);
      try {
        const client = await this.clientFor(channel);
        const bot = await client.botInfo();
        const updated = (await repo.updateChannel(db, id, { basic_id: bot.basicId, bot_name: bot.displayName }))!;
        return { bot, channel: updated };
      } catch (err) {
        if (err instanceof LineApiError)
          throw new Problem(422, "line_verification_failed", "LINE refused the channel's credentials", err.message, {
            lineStatus: err.status,
            // LINE's own words are the diagnosis an administrator needs; the web app quotes them.
            params: { lineMessage: err.message },
          });
        throw err;
      }
    },

    /**
     * Creates or refreshes a channel from operator configuration (the demo company's channel in
     * emulator mode, or LINE_CHANNEL_* in live mode), keyed by LINE channel id.
     */
    async ensureConfigured(
      tenantId: string,
      c: { channelId: string; channelSecret: string; accessToken: string; loginChannelId: string | null; loginChannelSecret: string | null; basicId: string | null; botName: string | null },
    ) {
      const sealed = {
        channel_secret_enc: box.seal(c.channelSecret),
        token_source: "static" as const,
        access_token_enc: box.seal(c.accessToken),
        login_channel_id: c.loginChannelId,
        login_channel_secret_enc: c.loginChannelSecret ? box.seal(c.loginChannelSecret) : null,
        // Keep what verification recorded when configuration does not say.
        ...(c.basicId !== null && { basic_id: c.basicId }),
        ...(c.botName !== null && { bot_name: c.botName }),
      };
      const existing = await repo.channelByLineId(db, c.channelId);
      if (existing) return (await repo.updateChannel(db, existing.id, sealed))!;
      return repo.insertChannel(db, {
        tenant_id: tenantId,
        channel_id: c.channelId,
        mode: "shared",
        dedicated_member_id: null,
        basic_id: null,
        bot_name: null,
        ...sealed,
      });
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
