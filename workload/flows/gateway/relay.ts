// The outbox relay: publishes accepted records to JetStream with Nats-Msg-Id = record id (JetStream drops a
// duplicate publish within its window), marks them published, and backs off with jitter while NATS or
// PostgreSQL is away. The reconciler hands records still pending after a while back to the relay: that is what
// brings back work whose JetStream copy was wiped with a NATS server's tmpfs.
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { fullJitterDelay, sleep, type Backoff } from "../../core/backoff.ts";
import type { Db } from "../../core/db.ts";
import type { Metrics } from "../../core/metrics.ts";
import { ensureStream, type NatsHandle } from "../../core/nats.ts";

export interface RelayOptions {
  db: Db;
  log: Logger;
  metrics: Metrics;
  nats: () => NatsHandle | undefined;
  subject: string;
  streamConfig: Record<string, unknown>;
  batch: number;
  intervalMs: number;
  reconcileAfterSeconds: number;
  backoff: Backoff;
}

export function startRelay(o: RelayOptions) {
  let wake: (() => void) | undefined;
  let stopped = false;
  let failures = 0;
  const controller = new AbortController();

  async function publishBatch(h: NatsHandle): Promise<number> {
    return o.db.transaction(async (c) => {
      const rows = await c.query<{ record_id: string; traceparent: string | null }>(
        `SELECT o.record_id, r.traceparent FROM outbox o JOIN records r ON r.id = o.record_id
          WHERE o.published_at IS NULL ORDER BY o.created_at LIMIT $1 FOR UPDATE OF o SKIP LOCKED`,
        [o.batch],
      );
      if (rows.rowCount === 0) return 0;
      const published: string[] = [];
      const results = await Promise.allSettled(
        rows.rows.map(async (r) => {
          const hdrs = natsHeaders();
          if (r.traceparent) hdrs.set("traceparent", r.traceparent);
          await h.js.publish(o.subject, JSON.stringify({ id: r.record_id }), { msgID: r.record_id, headers: hdrs, timeout: 5000 });
          published.push(r.record_id);
        }),
      );
      if (published.length > 0) await c.query("UPDATE outbox SET published_at = now() WHERE record_id = ANY($1::uuid[])", [published]);
      o.metrics.recordsPublished.inc(published.length);
      const failed = results.find((x) => x.status === "rejected") as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
      return published.length;
    });
  }

  async function reconcile(): Promise<void> {
    const r = await o.db.query(
      `UPDATE outbox o SET published_at = NULL FROM records r
        WHERE r.id = o.record_id AND r.state = 'pending' AND o.published_at < now() - make_interval(secs => $1)`,
      [o.reconcileAfterSeconds],
    );
    if ((r.rowCount ?? 0) > 0) o.log.warn({ records: r.rowCount }, "reconciler: records still pending are published again");
  }

  async function loop(): Promise<void> {
    let lastReconcile = Date.now();
    while (!stopped) {
      try {
        const h = o.nats();
        let sent = 0;
        if (h) sent = await publishBatch(h);
        if (Date.now() - lastReconcile > (o.reconcileAfterSeconds * 1000) / 2) {
          lastReconcile = Date.now();
          await reconcile();
        }
        failures = 0;
        if (sent > 0) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, o.intervalMs);
        });
      } catch (err) {
        failures++;
        const message = String((err as Error)?.message ?? err);
        // A NATS server restarted with an empty store has no stream: make it again.
        const h = o.nats();
        if (h && /stream not found|no responders/i.test(message)) await ensureStream(h, o.streamConfig, o.log).catch((e) => o.log.warn({ err: e }, "relay: could not create the stream"));
        const delay = fullJitterDelay(failures, o.backoff);
        o.log.warn({ err: message, retryInMs: delay }, "relay: publishing failed");
        await sleep(delay, controller.signal);
      }
    }
  }

  const done = loop();
  return {
    kick: () => wake?.(),
    async stop(): Promise<void> {
      stopped = true;
      controller.abort();
      wake?.();
      await done;
    },
  };
}
