// An HTTP server on 127.0.0.1 that answers every request at once (202, empty body), counting requests by their
// `k` query parameter. It measures the load generator alone: its CPU per request and whether it keeps the plan.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface InstantServer {
  url: string;
  /** Requests received so far. */
  count(): number;
  /** The `k` parameter, the idempotency-key header and the path of every request, in arrival order. */
  seen(): { k: string | null; header: string | undefined; path: string }[];
  stop(): Promise<void>;
}

export async function startInstantServer(o: { record?: boolean } = {}): Promise<InstantServer> {
  let n = 0;
  const seen: { k: string | null; header: string | undefined; path: string }[] = [];
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    n++;
    if (o.record) {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push({ k: url.searchParams.get("k"), header: req.headers["idempotency-key"] as string | undefined, path: url.pathname });
    }
    req.resume();
    req.on("end", () => {
      res.writeHead(202, { "content-length": "0" });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => n,
    seen: () => seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
