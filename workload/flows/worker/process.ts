// Processing one message: the result is committed in the same transaction that marks the record processed,
// with the record id as the results table's key, so a redelivery finds the effect already there and is only
// counted. The message is acked (double ack) only after the commit.
import { hash } from "node:crypto";
import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { fullJitterDelay, type Backoff } from "../../core/backoff.ts";
import { isUnavailable, type Db } from "../../core/db.ts";
import type { Metrics } from "../../core/metrics.ts";
import { nextTraceparent } from "../../core/trace.ts";

export interface WorkSettings {
  /** Synthetic CPU cost: rounds of SHA-256 over the payload. */
  cpuRounds: number;
  /** Size of the synthetic output, in bytes of hex. */
  outputBytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Outcome = "processed" | "duplicate" | "dead" | "unknown" | "poison";

/** Parses a message body; anything but {"id": "<uuid>"} is poison (it can never succeed). */
export function parseMessage(data: string): string | undefined {
  try {
    const body = JSON.parse(data) as { id?: unknown };
    return typeof body.id === "string" && UUID.test(body.id) ? body.id : undefined;
  } catch {
    return undefined;
  }
}

/** The same digests as createHash().update().digest("hex"), through the one-shot API: a third of the cost. */
export function syntheticWork(payload: unknown, w: WorkSettings): { digest: string; filler: string } {
  let digest = hash("sha256", JSON.stringify(payload));
  for (let i = 1; i < w.cpuRounds; i++) digest = hash("sha256", digest);
  return { digest, filler: digest.repeat(Math.ceil(w.outputBytes / 64)).slice(0, w.outputBytes) };
}

export interface ProcessDeps {
  db: Db;
  log: Logger;
  metrics: Metrics;
  worker: string;
  work: WorkSettings;
  backoff: Backoff;
  /** TEST ONLY (the checker's own test): ack first, so a crash between ack and commit loses the record. */
  ackBeforeCommit?: boolean;
}

/**
 * Two round trips: read the record, do the work, then one statement (atomic on its own) that stores the result,
 * marks the record processed and notes the attempt. The results table's key on record_id makes a second
 * effect impossible: a concurrent or later redelivery inserts nothing and is counted as a duplicate.
 */
async function commit(d: ProcessDeps, id: string, delivery: number, traceparent: string): Promise<Outcome> {
  const rec = await d.db.query<{ state: string; payload: unknown }>("SELECT state, payload FROM records WHERE id = $1", [id]);
  if (rec.rowCount === 0) return "unknown";
  const { state, payload } = rec.rows[0]!;
  if (state === "pending" && (payload === null || typeof payload !== "object" || Array.isArray(payload))) {
    await d.db.transaction(async (c) => {
      await c.query("INSERT INTO dead_letters (record_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING", [id, "payload is not an object"]);
      await c.query("UPDATE records SET state = 'dead' WHERE id = $1 AND state = 'pending'", [id]);
      await c.query("INSERT INTO processing_attempts (record_id, worker, delivery, outcome) VALUES ($1, $2, $3, 'dead')", [id, d.worker, delivery]);
    });
    return "dead";
  }
  const output = state === "pending" ? syntheticWork(payload, d.work) : null;
  const r = await d.db.query<{ processed: boolean }>(
    `WITH ins AS (
       INSERT INTO results (record_id, output, worker, traceparent)
       SELECT $1, $2, $3, $4 WHERE $2::jsonb IS NOT NULL
       ON CONFLICT (record_id) DO NOTHING RETURNING record_id),
     upd AS (UPDATE records SET state = 'processed', processed_at = now() WHERE id IN (SELECT record_id FROM ins)),
     att AS (
       INSERT INTO processing_attempts (record_id, worker, delivery, outcome)
       SELECT $1, $3, $5, CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'processed' ELSE 'duplicate' END)
     SELECT EXISTS (SELECT 1 FROM ins) AS processed`,
    [id, output, d.worker, traceparent, delivery],
  );
  return r.rows[0]!.processed ? "processed" : "duplicate";
}

export async function handleMessage(m: JsMsg, d: ProcessDeps): Promise<Outcome> {
  const delivery = m.info.deliveryCount;
  if (delivery > 1) d.metrics.redeliveries.inc();
  const id = parseMessage(m.string());
  const traceparent = nextTraceparent(m.headers?.get("traceparent"));
  // Fields on each line rather than a child logger per message: a child costs even when nothing is logged.
  const at = { id, delivery, traceparent };
  if (!id) {
    m.term("unparseable message");
    d.metrics.deadLettered.inc();
    d.log.error({ ...at, body: m.string().slice(0, 200) }, "poison message terminated");
    return "poison";
  }
  const t0 = process.hrtime.bigint();
  if (d.ackBeforeCommit) await m.ackAck();
  let outcome: Outcome;
  try {
    outcome = await commit(d, id, delivery, traceparent);
  } catch (err) {
    // PostgreSQL away (or any other failure): let JetStream deliver it again after a jittered delay.
    const retryInMs = fullJitterDelay(delivery, d.backoff);
    m.nak(retryInMs);
    d.log.warn({ ...at, err: String((err as Error)?.message ?? err), transient: isUnavailable(err), retryInMs }, "processing failed; nak");
    return "unknown";
  }
  if (outcome === "unknown") {
    // No such record: it can never succeed.
    m.term("no such record");
    d.metrics.deadLettered.inc();
    d.log.error(at, "message for an unknown record terminated");
    return "poison";
  }
  if (!d.ackBeforeCommit) await m.ackAck();
  d.metrics.processing.observe(Number(process.hrtime.bigint() - t0) / 1e9);
  if (outcome === "processed") d.metrics.recordsProcessed.inc();
  if (outcome === "duplicate") d.metrics.duplicatesSuppressed.inc();
  if (outcome === "dead") d.metrics.deadLettered.inc();
  // The common case is per record, so debug; a suppressed duplicate or a dead letter is worth a line.
  if (outcome === "processed") d.log.debug({ ...at, outcome }, "message handled");
  else d.log.info({ ...at, outcome }, "message handled");
  return outcome;
}
