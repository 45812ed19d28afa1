import { DISPLAY_NAME_MAX, type ChannelState, type ChatEntry, type Friendship, type Persona } from "../state.ts";
import { stickerImagePath, stickerLabel } from "../stickers.ts";
import { renderFlex, renderQuickReply, type ActionTarget } from "./flex.ts";
import { html, page, type Html } from "./html.ts";

/** The stickers a LINE user can send from the chat (LINE's public sample package 446). */
export const STICKERS: { packageId: string; stickerId: string }[] = ["1988", "1989", "1990", "1991", "1992", "1993"].map((stickerId) => ({
  packageId: "446",
  stickerId,
}));

/** The image the emulator serves at LINE's sticker path, with a word as alt text should it not load. */
const stickerFace = (s: { stickerId: string }) => html`<img class="sticker" src="${stickerImagePath(s.stickerId)}" alt="${stickerLabel(s.stickerId)}">`;

const avatar = (url: string | undefined) => (url ? html`<img class="avatar" src="${url}" alt="">` : html`<span class="avatar"></span>`);

export function choosePersonaPage(personas: Persona[], pictureUrl: (p: Persona) => string | undefined): string {
  const list = personas.map(
    (p) => html`<li>${avatar(pictureUrl(p))}<span class="grow">${p.displayName}</span>
      <form method="post" action="/ui/persona/select"><input type="hidden" name="userId" value="${p.userId}"><button type="submit">Use</button></form></li>`,
  );
  return page(
    "Who are you?",
    html`${personas.length ? html`<section><h2>Existing LINE users</h2><ul class="list">${list}</ul></section>` : ""}
    <section><h2>Create a LINE user</h2>
      <form method="post" action="/ui/persona/create" enctype="multipart/form-data">
        <label for="displayName">Display name</label><input type="text" id="displayName" name="displayName" maxlength="${DISPLAY_NAME_MAX}" required>
        <label for="statusMessage">Status message</label><input type="text" id="statusMessage" name="statusMessage" maxlength="500">
        <label for="photo">Profile photo</label><input type="file" id="photo" name="photo" accept="image/*">
        <button type="submit">Create</button>
      </form></section>`,
  );
}

export function homePage(opts: {
  me: Persona;
  pictureUrl: string | undefined;
  channels: ChannelState[];
  friendships: Map<string, Friendship>;
  notice?: string;
}): string {
  const { me } = opts;
  const friends = opts.channels.map((ch) => {
    const f = opts.friendships.get(ch.channelId);
    const action =
      f?.status === "friend"
        ? html`<a class="btn" href="/ui/chat/${ch.channelId}">Chat</a>
           <form method="post" action="/ui/friends/${ch.channelId}/block"><button class="secondary" type="submit">Block</button></form>`
        : html`<form method="post" action="/ui/friends/${ch.channelId}/follow"><button type="submit">${f?.status === "blocked" ? "Unblock" : "Add friend"}</button></form>`;
    return html`<li><span class="avatar"></span><span class="grow"><strong>${ch.botName}</strong><br><span class="muted">${ch.basicId}${f?.status === "blocked" ? " · blocked" : ""}</span></span>${action}</li>`;
  });
  const channelSelect =
    opts.channels.length > 1
      ? html`<label for="sid-channel">Official account</label><select id="sid-channel" name="channelId">${opts.channels.map((c) => html`<option value="${c.channelId}">${c.botName}</option>`)}</select>`
      : html`<input type="hidden" name="channelId" value="${opts.channels[0]?.channelId ?? ""}">`;
  return page(
    "LINE",
    html`${opts.notice ? html`<section role="status">${opts.notice}</section>` : ""}
    <section><div class="row">${avatar(opts.pictureUrl)}<div class="grow"><strong id="me-name">${me.displayName}</strong><br><span class="muted">${me.statusMessage ?? ""}</span></div></div>
      <details><summary>Edit profile</summary>
        <form method="post" action="/ui/profile" enctype="multipart/form-data">
          <label for="p-name">Display name</label><input type="text" id="p-name" name="displayName" maxlength="${DISPLAY_NAME_MAX}" value="${me.displayName}" required>
          <label for="p-status">Status message</label><input type="text" id="p-status" name="statusMessage" maxlength="500" value="${me.statusMessage ?? ""}">
          <label for="p-photo">Profile photo</label><input type="file" id="p-photo" name="photo" accept="image/*">
          <button type="submit">Save</button>
        </form></details>
      <form method="post" action="/ui/persona/switch"><button class="secondary" type="submit">Switch user</button></form>
    </section>
    <section><h2>Friends</h2><ul class="list">${friends.length ? friends : html`<li class="muted">No official accounts registered.</li>`}</ul></section>
    <section><h2>Open link</h2><form method="post" action="/ui/open-link"><label for="link">Invitation URL</label>
      <input type="url" id="link" name="url" required placeholder="https://…"><button type="submit">Open</button></form></section>
    <section><h2>Scan QR</h2><form method="post" action="/ui/scan-qr" enctype="multipart/form-data"><label for="qr">QR code image (PNG)</label>
      <input type="file" id="qr" name="qr" accept="image/png" required><button type="submit">Scan</button></form></section>
    <section><h2>Search ID</h2><form method="post" action="/ui/search-id"><label for="sid">Message ID</label>
      <input type="text" id="sid" name="messageId" required>${channelSelect}<button type="submit">Search</button></form></section>`,
  );
}

function messageBody(e: ChatEntry, target: ActionTarget): Html {
  const m = e.message as Record<string, string | number | undefined>;
  switch (m.type) {
    case "flex":
      return renderFlex(e.message, target);
    case "text":
      return html`${m.text}`;
    case "sticker":
      return stickerFace({ stickerId: String(m.stickerId) });
    case "image":
      return e.from === "user"
        ? html`<img src="/__emulator/content/${e.id}" alt="image">`
        : html`<img src="${m.previewImageUrl}" alt="image">`;
    case "location":
      return html`📍 ${m.title}<br><span class="muted">${m.address}</span>`;
    case "file":
      return html`<a href="/__emulator/content/${e.id}">📎 ${m.fileName}</a>`;
    case "video":
    case "audio":
      return e.from === "user" ? html`<a href="/__emulator/content/${e.id}">▶ ${m.type}</a>` : html`<a href="${m.originalContentUrl}">▶ ${m.type}</a>`;
    default:
      return html`[${m.type}] ${m.altText ?? ""}`;
  }
}

/** Bot messages as the LINE app shows them: the sender's icon and name beside the bubble (the account's when none). */
export function renderMessages(entries: ChatEntry[], channel: ChannelState, loading = false): Html {
  const visible = entries.filter((e) => e.delivered && !e.unsent);
  const typing = loading ? html`<div class="msg-row typing" role="status" aria-label="typing"><span class="msg-avatar"></span><div class="msg bot">…</div></div>` : "";
  if (!visible.length) return html`<p class="muted">No messages yet.</p>${typing}`;
  const base = `/ui/chat/${channel.channelId}`;
  const target: ActionTarget = { postbackPath: `${base}/postback`, textPath: `${base}/text` };
  const time = (e: ChatEntry) => html`<div class="muted">${new Date(e.at).toLocaleTimeString()}</div>`;
  const rows = visible.map((e) => {
    // LINE draws flex cards and stickers without the speech bubble around them.
    const kind = e.message.type === "flex" ? "msg flex" : e.message.type === "sticker" ? "msg sticker-msg" : "msg";
    if (e.from === "user")
      return html`<div class="${kind} user" data-id="${e.id}">${messageBody(e, target)}${e.read ? html`<div class="read">Read</div>` : ""}${time(e)}</div>`;
    const icon = e.sender?.iconUrl ? html`<img class="msg-avatar" src="${e.sender.iconUrl}" alt="">` : html`<span class="msg-avatar"></span>`;
    return html`<div class="msg-row" data-id="${e.id}">${icon}<div class="msg-col"><span class="sender-name">${e.sender?.name ?? channel.botName}</span><div class="${kind} bot">${messageBody(e, target)}</div>${time(e)}</div></div>`;
  });
  const last = visible.at(-1)!;
  return html`${rows}${typing}${last.from === "bot" ? renderQuickReply(last.message, target) : ""}`;
}

export const CHAT_SCRIPT_PATH = "/ui/chat.js";
/** Polling keeps the chat live without a socket; the fragment is server-escaped HTML. */
export const CHAT_SCRIPT = `const el = document.getElementById("messages");
setInterval(async () => {
  const r = await fetch(el.dataset.poll);
  if (!r.ok) return;
  const t = await r.text();
  if (el.innerHTML !== t) { el.innerHTML = t; window.scrollTo(0, document.body.scrollHeight); }
}, 1500);
window.scrollTo(0, document.body.scrollHeight);
`;

export function chatPage(channel: ChannelState, entries: ChatEntry[], loading: boolean): string {
  const base = `/ui/chat/${channel.channelId}`;
  const stickers = STICKERS.map(
    (s) => html`<form method="post" action="${base}/sticker"><input type="hidden" name="packageId" value="${s.packageId}"><input type="hidden" name="stickerId" value="${s.stickerId}"><button type="submit" aria-label="sticker ${s.stickerId}">${stickerFace(s)}</button></form>`,
  );
  return page(
    channel.botName,
    html`<section class="chat" id="messages" data-poll="${base}/messages">${renderMessages(entries, channel, loading)}</section>
    <section>
      <form method="post" action="${base}/text" class="row"><input type="text" name="text" id="text" aria-label="Message" required maxlength="5000" class="fill"><button type="submit">Send</button></form>
      <div class="row stickers">${stickers}</div>
      <details><summary>Photo or file</summary><form method="post" action="${base}/media" enctype="multipart/form-data">
        <input type="file" name="file" required><button type="submit">Send file</button></form></details>
      <details><summary>Location</summary><form method="post" action="${base}/location">
        <label>Title<input type="text" name="title" required></label><label>Address<input type="text" name="address" required></label>
        <label>Latitude<input type="number" step="any" name="latitude" value="35.6812" required></label><label>Longitude<input type="number" step="any" name="longitude" value="139.7671" required></label>
        <button type="submit">Send location</button></form></details>
    </section>`,
    { back: "/", script: CHAT_SCRIPT_PATH },
  );
}

export function noticePage(title: string, message: string): string {
  return page(title, html`<section role="alert"><p>${message}</p><a class="btn" href="/">Back</a></section>`, { back: "/" });
}
