// /healthz (the process is alive) and /readyz (every dependency accepts a TCP connection), for Docker and
// Kubernetes probes; graceful shutdown on SIGTERM.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import type { Settings } from "./settings.ts";

export function reachable(target: string, timeoutMs = 1000): Promise<boolean> {
  const [host, port] = target.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function log(level: string, msg: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra })}\n`);
}

export function serveHealth(settings: Settings): Server {
  const server = createServer(async (req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", flow: settings.flow }));
      return;
    }
    if (req.url === "/readyz") {
      const checks = await Promise.all(settings.dependencies.map(async (d) => [d, await reachable(d)] as const));
      const ready = checks.every(([, ok]) => ok);
      res.writeHead(ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ ready, checks: Object.fromEntries(checks) }));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
  });
  server.listen(settings.httpPort, "0.0.0.0", () => log("info", "listening", { flow: settings.flow, port: settings.httpPort }));
  process.once("SIGTERM", () => {
    log("info", "SIGTERM: closing", { flow: settings.flow });
    server.close(() => process.exit(0));
  });
  return server;
}
