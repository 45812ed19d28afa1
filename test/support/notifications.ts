import type { BrowserContext, Page, Worker } from "playwright-core";

/*
 * Chromium loses a notification for good when getNotifications() runs while that notification's
 * showNotification() is still pending: the read syncs the stored list with what is on screen, and
 * the new one is not there yet. Polling the list every 5 ms on a loaded machine lost 2 of 240 first
 * notifications of a fresh profile; reading only while no show was pending lost 0 of 240. (CI's
 * journeys polled the list as the message arrived and failed now and then, the notice shown "ok".)
 * So each page and service worker counts its pending shows, and tests read the list between them.
 * The real showNotification() still runs: what the tests assert is what Chromium displays.
 */

/** Serialized into the page or worker: keep it self-contained. */
function countPendingShows() {
  const g = globalThis as unknown as { pendingShows?: number };
  if (g.pendingShows !== undefined) return;
  g.pendingShows = 0;
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (this: ServiceWorkerRegistration, title: string, options?: NotificationOptions) {
    g.pendingShows! += 1;
    return show.call(this, title, options).finally(() => (g.pendingShows! -= 1));
  };
}

/** Serialized too: the notifications of this registration, read when no show is pending here. */
async function readShown() {
  const g = globalThis as unknown as { pendingShows?: number; registration?: ServiceWorkerRegistration };
  if (g.pendingShows === undefined) throw new Error("showNotification() is not counted here: call watchNotifications() first");
  const registration = g.registration ?? (await navigator.serviceWorker.ready);
  while (g.pendingShows > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  // Same task as the check above: no show of this global can start before the read.
  return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
}

/** Counts pending shows in every page of the context (before its pages are opened). */
export const watchNotifications = (context: BrowserContext) => context.addInitScript(countPendingShows);

/** Counts pending shows in a running service worker (a push shows its notification there). */
export const watchWorkerNotifications = (worker: Worker) => worker.evaluate(countPendingShows);

/** The notifications the service worker registration shows (the ones the OS would display), read safely. */
export function shownNotifications(where: Page | Worker) {
  // Both evaluate alike, through overloads TypeScript cannot unite: narrowed to each in turn.
  return "mainFrame" in where ? where.evaluate(readShown) : where.evaluate(readShown);
}
