// The gateway flow: HTTP records API on top of PostgreSQL (records + outbox) with JetStream behind the relay.
import { fullJitterDelay, sleep } from "../../core/backoff.ts";
import { createDb } from "../../core/db.ts";
import { createServer, serve } from "../../core/http.ts";
import { connectNats, type NatsHandle } from "../../core/nats.ts";
import { startFlow } from "../../core/flow.ts";
import { commonSchema } from "../../core/settings.ts";
import { createAcceptor } from "./accept.ts";
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
    /** Group commit: accepting statements in flight at once, and records per statement at most. */
    acceptInFlight: { type: "int", min: 1, max: 64, default: 1 },
    acceptBatch: { type: "int", min: 1, max: 10_000, default: 500 },
  },
} as const;

const { s, log, metrics, tracing } = startFlow(schema);
const db = createDb({ ...s.postgres, applicationName: s.flow.instance }, log, metrics);
const streamConfig = JSON.parse(s.nats.streamConfig) as Record<string, unknown>;
const backoff = { baseMs: 200, capMs: 5000 };

let nats: NatsHandle | undefined;
let backlog = 0;
const relay = startRelay({ db, log, metrics, nats: () => nats, subject: s.nats.subject, streamConfig, batch: s.gateway.relayBatch, intervalMs: s.gateway.relayIntervalMs, reconcileAfterSeconds: s.gateway.reconcileAfterSeconds, backoff, tracing });

// Records are accepted while NATS is away: connect in the background, retrying with jitter.
(async () => {
  for (let attempt = 0; !nats; attempt++) {
    try {
      nats = await connectNats(s.nats.url, `${s.flow.name}-${s.flow.instance}`, log, metrics, s.nats.caFile);
    } catch (err) {
      log.warn({ err: String(err) }, "nats: first connection failed; retrying");
      await sleep(fullJitterDelay(attempt, backoff));
    }
  }
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
    await tracing.shutdown();
  },
};
const app = createServer(server);
registerErrorHandler(app, log);
const accept = createAcceptor(db, { maxInFlight: s.gateway.acceptInFlight, maxBatch: s.gateway.acceptBatch }, (stored) => relay.handOver(stored));
registerRecords(app, { db, accept, log, metrics, tracing, backlog: () => backlog, maxBacklog: s.gateway.maxBacklog });
await serve(app, server);
