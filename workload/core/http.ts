// The HTTP server every flow runs: /healthz (alive), /readyz (its dependencies answer), /metrics, request
// metrics per route, and a graceful shutdown on SIGTERM that stops accepting, finishes in-flight work and then
// runs the flow's own clean-up within the grace period.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.ts";

export interface ServerOptions {
  port: number;
  log: Logger;
  metrics: Metrics;
  /** Named readiness checks; /readyz is 200 only when all pass. */
  ready: Record<string, () => Promise<boolean>>;
  /** Flow clean-up after the server stopped accepting (drain NATS, end the pool). */
  onShutdown: () => Promise<void>;
  bodyLimit?: number;
  graceMs?: number;
}

export function createServer(o: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: o.log as unknown as FastifyBaseLogger,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    disableRequestLogging: true,
    // Reject what does not match a schema (Fastify's default strips unknown fields and coerces types).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  }) as unknown as FastifyInstance;
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    o.metrics.httpRequests.inc({ route, method: req.method, status: String(reply.statusCode) });
    o.metrics.httpDuration.observe({ route, method: req.method }, reply.elapsedTime / 1000);
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const checks = Object.fromEntries(await Promise.all(Object.entries(o.ready).map(async ([k, f]) => [k, await f().catch(() => false)] as const)));
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });
  app.get("/metrics", async (_req, reply) => reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics()));
  return app;
}

export async function serve(app: FastifyInstance, o: ServerOptions): Promise<void> {
  await app.listen({ port: o.port, host: "0.0.0.0" });
  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    o.log.info("SIGTERM: stop accepting, finish in-flight work, drain");
    const deadline = setTimeout(() => {
      o.log.error("shutdown exceeded the grace period");
      process.exit(1);
    }, o.graceMs ?? 8000);
    deadline.unref();
    app
      .close()
      .then(() => o.onShutdown())
      .then(() => {
        o.log.info("shutdown complete");
        process.exit(0);
      })
      .catch((err) => {
        o.log.error({ err }, "shutdown failed");
        process.exit(1);
      });
  });
}
