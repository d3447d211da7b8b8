import * as net from "node:net";

/**
 * Ports handed out below the kernel's ephemeral range (32768-60999 here): a port picked from that range can be
 * taken a moment later as the source port of an outgoing connection, and a socket of it still in TIME-WAIT makes
 * the engine's bind of a published port fail with "address already in use" (seen here).
 */
const FIRST = 20_000;
const LAST = 32_767;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port free on 127.0.0.1 right now, outside the ephemeral range. */
export async function freeLocalPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${FIRST} and ${LAST} after 100 tries`);
}
