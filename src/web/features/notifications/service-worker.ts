import type { MessageNotice } from "../../../shared/notifications.ts";
import { fetchVapidKey, registerPushSubscription } from "../../api/notifications.ts";
import { currentLanguage } from "../../i18n/i18n.ts";

let registration: Promise<ServiceWorkerRegistration | undefined> | undefined;

/**
 * The app's service worker (public/sw.js: install, offline page, push), registered once per page
 * load; undefined where the browser has none (or the page is not a secure context).
 */
export function serviceWorker(): Promise<ServiceWorkerRegistration | undefined> {
  registration ??=
    "serviceWorker" in navigator
      ? navigator.serviceWorker
          .register("/sw.js")
          .then(() => navigator.serviceWorker.ready)
          .catch(() => undefined)
      : Promise.resolve(undefined);
  return registration;
}

export const roomUrl = (roomId: string) => `/message/${roomId}`;

/**
 * Shows a message notice as the service worker would for a push (same tag and data, public/sw.js),
 * so clicking it opens the room the same way. Without a service worker, a page notification.
 */
export async function showNotice(notice: MessageNotice, openRoom: (url: string) => void) {
  const options = { body: notice.body, tag: `room-${notice.roomId}`, icon: "/icons/icon-192.png", data: { url: roomUrl(notice.roomId), messageId: notice.messageId } };
  const reg = await serviceWorker();
  if (reg) return reg.showNotification(notice.title, options);
  const n = new Notification(notice.title, options);
  n.onclick = () => {
    window.focus();
    openRoom(roomUrl(notice.roomId));
    n.close();
  };
}

const base64url = (buf: ArrayBuffer | null) => (buf ? btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : "");

/**
 * Subscribes this browser to Web Push and hands the subscription to the server, which ties it to
 * this sign-in (signing out ends it), with the language its pushes are to be written in. A
 * subscription made with another server key is replaced.
 * False where push is unavailable (no service worker, no push service, permission refused).
 */
export async function subscribeThisDevice(): Promise<boolean> {
  const reg = await serviceWorker();
  if (!reg || !("PushManager" in window) || Notification.permission !== "granted") return false;
  try {
    const key = await fetchVapidKey();
    let sub = await reg.pushManager.getSubscription();
    if (sub && base64url(sub.options.applicationServerKey) !== key) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    const json = sub.toJSON();
    if (!json.endpoint || !json.keys?.p256dh || !json.keys.auth) return false;
    await registerPushSubscription({ endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth }, language: currentLanguage() });
    return true;
  } catch {
    return false;
  }
}
