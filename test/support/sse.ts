/** Reads a Server-Sent Events stream over real HTTP until `until` matches an event (or times out). */
export async function readEvents(
  url: string,
  cookie: string,
  until: (ev: { id: string; event: string; data: unknown }) => boolean,
  opts: { timeoutMs?: number; onOpen?: () => Promise<void> } = {},
) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 15_000);
  const seen: { id: string; event: string; data: unknown }[] = [];
  try {
    const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" }, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let opened = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((l) => l && !l.startsWith(":"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
        );
        if (!fields.event) continue;
        const ev = { id: fields.id ?? "", event: fields.event, data: fields.data ? JSON.parse(fields.data) : null };
        seen.push(ev);
        if (ev.event === "ready" && !opened) {
          opened = true;
          await opts.onOpen?.();
        }
        if (until(ev)) return seen;
      }
    }
    throw new Error(`stream ended before the expected event; saw ${JSON.stringify(seen)}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
