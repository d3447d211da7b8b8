// The relay: publishes accepted records to JetStream with Nats-Msg-Id = record id (JetStream drops a duplicate
// publish within its window), and backs off with jitter while NATS or PostgreSQL is away. The gateway hands
// each batch of records over in memory once it is committed, and they are published at once. A record whose
// publish fails (NATS away, a timeout), or that cannot be handed over, is parked in the outbox table, which
// is swept and published from (oldest first) until JetStream has it. What a crash loses from memory is still
// pending in records: the reconciler parks every record still pending a while after it was accepted, which
// also brings back work whose JetStream copy was wiped with a NATS server's tmpfs.
import type { Logger } from "pino";
import { fullJitterDelay, sleep, type Backoff } from "../../core/backoff.ts";
import type { Db } from "../../core/db.ts";
import { createReplies, jsPublish, type Replies } from "../../core/replies.ts";
import type { Metrics } from "../../core/metrics.ts";
import { ensureStream, type NatsHandle } from "../../core/nats.ts";
import { inSpan, SpanKind, traceparentOf, type Tracing } from "../../core/tracing.ts";

/** A record just stored: its id, its payload as JSON text, its traceparent. */
export interface Stored {
  id: string;
  payload: string;
  traceparent: string | null;
}

/** Records held in memory (to publish, or to park) at most; the reconciler finds what is dropped beyond it. */
const MAX_HELD = 20_000;

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
  tracing: Tracing;
}

export function startRelay(o: RelayOptions) {
  let wake: (() => void) | undefined;
  let stopped = false;
  let failures = 0;
  let fresh: Stored[] = [];
  let toPark: string[] = [];
  const controller = new AbortController();
  // PubAcks come back to one subscription on the connection.
  let replies: { nc: NatsHandle["nc"]; r: Replies } | undefined;
  const repliesFor = (h: NatsHandle): Replies => {
    if (replies?.nc !== h.nc) replies = { nc: h.nc, r: createReplies(h.nc, 5000) };
    return replies.r;
  };

  function hold(list: unknown[], more: number, what: string): boolean {
    if (list.length + more <= MAX_HELD) return true;
    o.log.warn({ records: more }, `relay: more than ${MAX_HELD} records held; these are left to the reconciler (${what})`);
    return false;
  }

  /** Publishes each record (all at once, each awaiting its PubAck); the ids JetStream has, and the first failure. */
  async function publish(h: NatsHandle, records: Stored[]): Promise<{ published: Set<string>; failure: unknown }> {
    const published = new Set<string>();
    let failure: unknown;
    const answers = repliesFor(h);
    await Promise.all(
      records.map(async (r) => {
        // Each attempt is a span of the record's trace; the message carries it to the worker.
        const span = o.tracing.start("records.publish", r.traceparent, SpanKind.PRODUCER);
        try {
          // The payload travels with the message, so the worker needs no read.
          await inSpan(span, () => jsPublish(answers, o.subject, `{"id":"${r.id}","payload":${r.payload}}`, r.id, traceparentOf(span)));
          published.add(r.id);
        } catch (err) {
          failure ??= err;
        }
      }),
    );
    o.metrics.recordsPublished.inc(published.size);
    return { published, failure };
  }

  /** Records not published from memory go to the outbox table, for the sweep. */
  async function park(): Promise<void> {
    const ids = toPark;
    toPark = [];
    try {
      await o.db.query("INSERT INTO outbox (record_id) SELECT unnest($1::uuid[]) ON CONFLICT (record_id) DO NOTHING", [ids], "relay-park");
    } catch (err) {
      if (hold(toPark, ids.length, "PostgreSQL away")) toPark.push(...ids);
      throw err;
    }
  }

  /** The records handed over in memory; what fails is parked. */
  async function publishFresh(h: NatsHandle): Promise<void> {
    const records = fresh;
    fresh = [];
    const { published, failure } = await publish(h, records);
    if (published.size < records.length) toPark.push(...records.filter((r) => !published.has(r.id)).map((r) => r.id));
    if (failure) throw failure;
  }

  /** The sweep: parked records, oldest first, locked so two relays never take the same; deleted once published. */
  async function sweep(h: NatsHandle): Promise<number> {
    return o.db.transaction(async (c) => {
      const rows = await c.query<Stored>({
        name: "relay-sweep",
        text: `SELECT o.record_id AS id, r.payload::text AS payload, r.traceparent FROM outbox o JOIN records r ON r.id = o.record_id
                ORDER BY o.created_at LIMIT $1 FOR UPDATE OF o SKIP LOCKED`,
        values: [o.batch],
      });
      if (rows.rowCount === 0) return 0;
      const { published, failure } = await publish(h, rows.rows);
      if (published.size > 0) await c.query({ name: "relay-delete", text: "DELETE FROM outbox WHERE record_id = ANY($1::uuid[])", values: [[...published]] });
      if (failure) throw failure;
      return published.size;
    });
  }

  async function reconcile(): Promise<void> {
    // Through records_pending; a record already parked is left as it is.
    const r = await o.db.query(
      `INSERT INTO outbox (record_id, created_at)
       SELECT id, accepted_at FROM records WHERE state = 'pending' AND accepted_at < now() - make_interval(secs => $1)
       ON CONFLICT (record_id) DO NOTHING`,
      [o.reconcileAfterSeconds],
    );
    if ((r.rowCount ?? 0) > 0) o.log.warn({ records: r.rowCount }, "reconciler: records still pending are published again");
  }

  async function loop(): Promise<void> {
    let lastReconcile = Date.now();
    let lastSweep = 0;
    while (!stopped) {
      try {
        if (toPark.length > 0) await park();
        const h = o.nats();
        let busy = false;
        if (fresh.length > 0) {
          if (h) await publishFresh(h);
          else toPark.push(...fresh.splice(0).map((r) => r.id));
          busy = true;
        }
        if (h && Date.now() - lastSweep >= o.intervalMs) {
          // A full sweep goes again at once: a backlog (after NATS was away) drains at full speed.
          if ((await sweep(h)) < o.batch) lastSweep = Date.now();
          else busy = true;
        }
        if (Date.now() - lastReconcile > (o.reconcileAfterSeconds * 1000) / 2) {
          lastReconcile = Date.now();
          await reconcile();
        }
        failures = 0;
        if (busy || fresh.length > 0 || toPark.length > 0) continue;
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
    /** Records just committed, to publish at once (or to park, past the bound of what memory holds). */
    handOver(records: Stored[]): void {
      if (hold(fresh, records.length, "publishing")) fresh.push(...records);
      wake?.();
    },
    /** Stops the loop; what is still held in memory is parked, so the next start publishes it at once. */
    async stop(): Promise<void> {
      stopped = true;
      controller.abort();
      wake?.();
      await done;
      toPark.push(...fresh.splice(0).map((r) => r.id));
      if (toPark.length > 0) await park().catch((err: unknown) => o.log.warn({ err: String(err), records: toPark.length }, "relay: could not park records at shutdown; the reconciler will"));
    },
  };
}
