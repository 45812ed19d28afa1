import { PNG } from "pngjs";
import { bootServer, signedIn, type ApiClient, type TestServer } from "../../../test/support/server.ts";
import { emulatorOf } from "../../../test/support/line.ts";
import { directoryRepository } from "../directory/repository.ts";
import { lineRepository } from "../line/repository.ts";
import { befriend } from "../rooms/friendships.ts";

/** A booted server (contacts routes, jobs and LINE handlers included) and how to drain its jobs. */
export interface ContactsTestServer {
  server: TestServer;
  /** Base URL of the API. */
  url: string;
  /** Runs every due job until none is left. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export async function bootContactsServer(opts: { clock?: () => Date } = {}): Promise<ContactsTestServer> {
  const server = await bootServer({}, opts.clock ? { clock: opts.clock } : {});
  return { server, url: server.url, drain: () => server.worker.drain(), stop: () => server.stop() };
}

export const TINY_PNG = (rgb: [number, number, number]) => {
  const png = new PNG({ width: 2, height: 2 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([...rgb, 255], i);
  return new Uint8Array(PNG.sync.write(png));
};

/** A LINE user in the emulator, following the demo channel (so the connector has synced their profile). */
export async function lineUserFollowing(h: ContactsTestServer, displayName: string, picture?: Uint8Array) {
  const emu = emulatorOf(h.server);
  const user = await emu.createUser({
    displayName,
    ...(picture ? { pictureBase64: Buffer.from(picture).toString("base64"), pictureContentType: "image/png" } : {}),
  });
  await emu.follow(user.userId, h.server.demoLineChannelId!);
  await h.drain();
  const channel = (await lineRepository.channelByLineId(h.server.db, h.server.demoLineChannelId!))!;
  const lineUser = (await lineRepository.lineUserByUserId(h.server.db, channel.id, user.userId))!;
  return { userId: user.userId, lineUserId: lineUser.id };
}

/**
 * Makes `login` a friend of the LINE user with a 1:1 room, through the production `befriend`
 * (what an invitation link or a Message ID search ends in).
 */
export async function befriendAs(h: ContactsTestServer, login: string, lineUserId: string) {
  const member = (await directoryRepository.memberByLogin(h.server.db, login))!;
  const { room } = await h.server.db.transaction((tx) =>
    befriend(tx, { tenantId: member.tenant_id, memberId: member.id, lineUserId, via: "link" }, async () => undefined),
  );
  return { roomId: room.id, memberId: member.id };
}

export async function memberId(h: ContactsTestServer, login: string) {
  return (await directoryRepository.memberByLogin(h.server.db, login))!.id;
}

export const client = (h: ContactsTestServer, login: string): Promise<ApiClient> => signedIn({ url: h.url }, login);

/** A contact typed in by hand through the API; returns its JSON. */
export async function addManual(api: ApiClient, body: Record<string, unknown>) {
  const res = await api.post("/api/v1/contacts", { telephones: [{ telephone: "+81 90-0000-0000" }], ...body });
  if (res.status !== 201) throw new Error(`POST /contacts answered ${res.status}: ${res.text}`);
  return res.json as { contactId: string; version: number } & Record<string, unknown>;
}
