/*
 * Tsunagu's service worker (issue 14): makes the web app installable, shows a clear offline page
 * instead of the browser's error, and turns Web Push messages into notifications that open the room.
 * Plain JavaScript served as it is from /sw.js, so its scope is the whole app.
 */
const OFFLINE_CACHE = "tsunagu-offline-v1";
const OFFLINE_PAGE = "/offline.html";
const OFFLINE_FILES = [OFFLINE_PAGE, "/offline.css", "/icons/icon-192.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(OFFLINE_CACHE)
      .then((cache) => cache.addAll(OFFLINE_FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== OFFLINE_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Pages always come from the network (they must never be stale); only when it cannot be reached
// does the offline page stand in. API calls and assets are left to the browser.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_PAGE)));
  } else if (OFFLINE_FILES.includes(new URL(request.url).pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(request)));
  }
});

/** The payload is a MessageNotice (src/shared/notifications.ts): roomId, messageId, title, body. */
function showNotice(notice) {
  return self.registration.showNotification(notice.title, {
    body: notice.body,
    // One notification per room: a newer message replaces the older one.
    tag: `room-${notice.roomId}`,
    renotify: true,
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    data: { url: `/message/${notice.roomId}`, messageId: notice.messageId },
  });
}

self.addEventListener("push", (event) => {
  let notice;
  try {
    notice = event.data ? event.data.json() : undefined;
  } catch {
    notice = undefined;
  }
  if (!notice || typeof notice.roomId !== "string") return;
  event.waitUntil(showNotice(notice));
});

// Opens the room: in a Tsunagu window already open if there is one, else in a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/message", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) return open.focus().then((w) => (w ?? open).navigate(url));
      return self.clients.openWindow(url);
    }),
  );
});
