// The gateway flow: HTTP records API on top of PostgreSQL (records + outbox) with JetStream behind the relay.
import type { Logger } from "pino";
import { fullJitterDelay, sleep } from "../../core/backoff.ts";
import { createDb } from "../../core/db.ts";
import { createServer, serve } from "../../core/http.ts";
import { createLogger } from "../../core/log.ts";
import { createMetrics } from "../../core/metrics.ts";
import { connectNats, type NatsHandle } from "../../core/nats.ts";
import { commonSchema, readSettings, SettingsError } from "../../core/settings.ts";
import { MAX_BODY_BYTES, registerErrorHandler, registerRecords } from "./records.ts";
import { startRelay } from "./relay.ts";

const schema = {
  ...commonSchema,
  nats: { ...commonSchema.nats, streamConfig: { type: "string", describe: "the stream's JSON definition" } },
  gateway: {
    maxBacklog: { type: "int", min: 1, max: 100_000_000, default: 50_000 },
    relayBatch: { type: "int", min: 1, max: 10_000, default: 256 },
    relayIntervalMs: { type: "int", min: 10, max: 60_000, default: 200 },
    reconcileAfterSeconds: { type: "int", min: 5, max: 86_400, default: 60 },
  },
} as const;

let settings;
try {
  settings = readSettings(schema);
} catch (err) {
  // One message listing every bad variable, then stop before serving anything.
  process.stderr.write(`${err instanceof SettingsError ? err.message : String(err)}\n`);
  process.exit(2);
}
const s = settings;
const log: Logger = createLogger({ level: s.log.level, flow: s.flow.name, instance: s.flow.instance, maskFields: s.log.maskFields });
const metrics = createMetrics(s.flow.name);
const db = createDb(s.postgres, log, metrics);
const streamConfig = JSON.parse(s.nats.streamConfig) as Record<string, unknown>;
const backoff = { baseMs: 200, capMs: 5000 };

let nats: NatsHandle | undefined;
let backlog = 0;
const relay = startRelay({ db, log, metrics, nats: () => nats, subject: s.nats.subject, streamConfig, batch: s.gateway.relayBatch, intervalMs: s.gateway.relayIntervalMs, reconcileAfterSeconds: s.gateway.reconcileAfterSeconds, backoff });

// Records are accepted while NATS is away: connect in the background, retrying with jitter.
(async () => {
  for (let attempt = 0; !nats; attempt++) {
    try {
      nats = await connectNats(s.nats.url, `${s.flow.name}-${s.flow.instance}`, log, metrics);
    } catch (err) {
      log.warn({ err: String(err) }, "nats: first connection failed; retrying");
      await sleep(fullJitterDelay(attempt, backoff));
    }
  }
  relay.kick();
  // Measure the work waiting in the stream, for backpressure.
  for (;;) {
    try {
      backlog = (await (await nats.jsm()).streams.info(s.nats.stream)).state.messages;
    } catch {
      // the stream may be recreating; keep the last figure
    }
    await sleep(500);
  }
})();

const server = {
  port: s.http.port,
  log,
  metrics,
  bodyLimit: MAX_BODY_BYTES,
  ready: { postgres: () => db.reachable(), nats: async () => nats !== undefined && !nats.nc.isClosed() },
  onShutdown: async () => {
    await relay.stop();
    await nats?.nc.drain();
    await db.end();
  },
};
const app = createServer(server);
registerErrorHandler(app, log);
registerRecords(app, { db, log, metrics, backlog: () => backlog, maxBacklog: s.gateway.maxBacklog, kick: () => relay.kick() });
await serve(app, server);
