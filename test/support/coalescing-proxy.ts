import net from "node:net";

/**
 * A TCP proxy in front of a real PostgreSQL server for one race a busy machine produces by
 * itself: a backend is terminated right after it finished starting, and its "ready for query"
 * and its FATAL error reach the client in the same read. `terminateNextAfterStartup(kill)` arms
 * the next new connection: once the server says it is ready, the proxy holds that reply, calls
 * `kill(pid)` (the backend's real pid, from BackendKeyData), waits for the server's own error
 * message, and forwards both in one write.
 */
export async function startCoalescingProxy(target: { host: string; port: number }) {
  let armed: ((pid: number) => Promise<unknown>) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const kill = armed;
    armed = undefined;
    let held: Buffer[] | undefined = kill ? [] : undefined;
    let pending = Buffer.alloc(0);
    let pid: number | undefined;
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => {
      if (!held) return void client.write(d);
      held.push(d);
      pending = Buffer.concat([pending, d]);
      // Server messages are a type byte and a big-endian length that counts itself.
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const kind = pending[0]!;
        const type = String.fromCharCode(kind);
        if (type === "K") pid = pending.readInt32BE(5);
        pending = pending.subarray(1 + pending.readInt32BE(1));
        if (type === "Z" && kill && pid !== undefined) {
          void kill(pid);
          return;
        }
        if (type === "E" && held) {
          client.write(Buffer.concat(held));
          held = undefined;
          return;
        }
      }
    });
    const close = () => {
      if (held?.length) client.write(Buffer.concat(held));
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    terminateNextAfterStartup(kill: (pid: number) => Promise<unknown>) {
      armed = kill;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
