/** "Jan 5, 2026, 3:04 PM" / "2026/01/05 15:04" / "2026. 1. 5. 오후 3:04" in the UI language, in local time. */
export function formatDateTime(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/**
 * The audit API takes instants; a person picks days. A `<input type="date">` value (YYYY-MM-DD)
 * becomes the start of that day in local time, or of the next day for an inclusive end date.
 */
export function dayStart(date: string, plusDays = 0): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(y!, m! - 1, d! + plusDays).toISOString();
}
