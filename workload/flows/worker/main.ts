// The worker flow: a durable pull consumer shared by every replica, bounded concurrency, results committed
// before the ack. MaxAckPending on the consumer is the backpressure bound.
import { fullJitterDelay, sleep } from "../../core/backoff.ts";
import { createDb } from "../../core/db.ts";
import { createServer, serve } from "../../core/http.ts";
import { connectNats, ensureConsumer, ensureStream } from "../../core/nats.ts";
import { createReplies, doubleAck } from "../../core/replies.ts";
import { startFlow } from "../../core/flow.ts";
import { commonSchema } from "../../core/settings.ts";
import { createCommitter } from "./commit.ts";
import { handleMessage, type ProcessDeps } from "./process.ts";

const schema = {
  ...commonSchema,
  nats: { ...commonSchema.nats, streamConfig: { type: "string", describe: "the stream's JSON definition" }, consumerConfig: { type: "string", describe: "the consumer's JSON definition" } },
  worker: {
    concurrency: { type: "int", min: 1, max: 1024, default: 32 },
    batch: { type: "int", min: 1, max: 1024, default: 64 },
    cpuRounds: { type: "int", min: 1, max: 1_000_000, default: 100 },
    outputBytes: { type: "int", min: 0, max: 1_048_576, default: 256 },
    testOnlyAckBeforeCommit: { type: "bool", default: false },
    /** TEST ONLY: this long after the start the worker's configuration turns fatal (0: never); proves the alert before stopping. */
    testOnlyFatalAfterSeconds: { type: "int", min: 0, max: 86_400, default: 0 },
    /** Group commit: committing statements in flight at once, and results per statement at most. */
    commitInFlight: { type: "int", min: 1, max: 64, default: 1 },
    commitBatch: { type: "int", min: 1, max: 10_000, default: 500 },
  },
} as const;

const { s, log, metrics, tracing } = startFlow(schema);
if (s.worker.testOnlyAckBeforeCommit) log.warn("TEST ONLY: messages are acked before their result is committed; a crash loses records");
if (s.worker.testOnlyFatalAfterSeconds > 0) {
  log.warn(`TEST ONLY: the configuration turns fatal in ${s.worker.testOnlyFatalAfterSeconds} s`);
  setTimeout(() => {
    throw new Error(`TEST ONLY: the worker's configuration turned fatal (worker.testOnlyFatalAfterSeconds ${s.worker.testOnlyFatalAfterSeconds})`);
  }, s.worker.testOnlyFatalAfterSeconds * 1000).unref();
}
const db = createDb({ ...s.postgres, applicationName: s.flow.instance, poolMax: Math.max(s.postgres.poolMax, Math.min(s.worker.concurrency, 50)) }, log, metrics);
const streamConfig = JSON.parse(s.nats.streamConfig) as Record<string, unknown>;
const consumerConfig = JSON.parse(s.nats.consumerConfig) as Record<string, unknown>;
const backoff = { baseMs: 200, capMs: 5000 };
const nats = await connectNats(s.nats.url, `${s.flow.name}-${s.flow.instance}`, log, metrics, s.nats.caFile);
// Double acks confirmed on one subscription, not a request object, timer and Error per message.
const replies = createReplies(nats.nc, 5000);
const deps: ProcessDeps = {
  db,
  log,
  metrics,
  tracing,
  worker: s.flow.instance,
  work: s.worker,
  backoff,
  commit: createCommitter(db, s.flow.instance, { maxInFlight: s.worker.commitInFlight, maxBatch: s.worker.commitBatch }, (seconds) => metrics.acceptToProcessed.observe(seconds)),
  ack: (m) => doubleAck(replies, m),
  ackBeforeCommit: s.worker.testOnlyAckBeforeCommit,
};
let bound = false;
let stopping = false;

async function consume(): Promise<void> {
  for (let failures = 0; !stopping; ) {
    try {
      await ensureStream(nats, streamConfig, log);
      await ensureConsumer(nats, s.nats.stream, consumerConfig, log);
      const consumer = await nats.js.consumers.get(s.nats.stream, s.nats.consumer);
      bound = true;
      failures = 0;
      const inFlight = new Set<Promise<unknown>>();
      // Bounded concurrency: the loop waits for a free slot before taking the next message. (Promise.race over
      // the tasks in flight would add a reaction to every one of them at each wait.)
      let free = s.worker.concurrency;
      let slotFreed: (() => void) | undefined;
      while (!stopping) {
        const batch = await consumer.fetch({ max_messages: s.worker.batch, expires: 2000 });
        for await (const m of batch) {
          while (free === 0) await new Promise<void>((resolve) => (slotFreed = resolve));
          free--;
          const p: Promise<unknown> = handleMessage(m, deps)
            .catch((err) => log.error({ err }, "handler failed"))
            .finally(() => {
              free++;
              inFlight.delete(p);
              slotFreed?.();
              slotFreed = undefined;
            });
          inFlight.add(p);
        }
      }
      await Promise.all(inFlight);
    } catch (err) {
      bound = false;
      const delay = fullJitterDelay(++failures, backoff);
      log.warn({ err: String((err as Error)?.message ?? err), retryInMs: delay }, "consumer failed; binding again");
      await sleep(delay);
    }
  }
}

const done = consume();
const server = {
  port: s.http.port,
  log,
  metrics,
  ready: { postgres: () => db.reachable(), nats: async () => !nats.nc.isClosed(), consumer: async () => bound },
  onShutdown: async () => {
    stopping = true;
    await done;
    await nats.nc.drain();
    await db.end();
    await tracing.shutdown();
  },
};
await serve(createServer(server), server);
