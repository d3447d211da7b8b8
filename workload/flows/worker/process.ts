// Processing one message: the result is committed in the same transaction that marks the record processed,
// with the record id as the results table's key, so a redelivery finds the effect already there and is only
// counted. The message is acked (double ack) only after the commit.
import { createHash } from "node:crypto";
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

export function syntheticWork(payload: unknown, w: WorkSettings): { digest: string; filler: string } {
  let digest = createHash("sha256").update(JSON.stringify(payload)).digest("hex");
  for (let i = 1; i < w.cpuRounds; i++) digest = createHash("sha256").update(digest).digest("hex");
  return { digest, filler: digest.repeat(Math.ceil(w.outputBytes / 64)).slice(0, w.outputBytes) };
}

export interface ProcessDeps {
  db: Db;
  log: Logger;
  metrics: Metrics;
  worker: string;
  work: WorkSettings;
  backoff: Backoff;
}

export async function handleMessage(m: JsMsg, d: ProcessDeps): Promise<Outcome> {
  const delivery = m.info.deliveryCount;
  if (delivery > 1) d.metrics.redeliveries.inc();
  const id = parseMessage(m.string());
  const traceparent = nextTraceparent(m.headers?.get("traceparent"));
  const log = d.log.child({ id, delivery, traceparent });
  if (!id) {
    m.term("unparseable message");
    d.metrics.deadLettered.inc();
    log.error({ body: m.string().slice(0, 200) }, "poison message terminated");
    return "poison";
  }
  const t0 = process.hrtime.bigint();
  let outcome: Outcome;
  try {
    outcome = await d.db.transaction(async (c) => {
      const rec = await c.query<{ state: string; payload: unknown }>("SELECT state, payload FROM records WHERE id = $1 FOR UPDATE", [id]);
      if (rec.rowCount === 0) return "unknown";
      const attempt = (o: Outcome) => c.query("INSERT INTO processing_attempts (record_id, worker, delivery, outcome) VALUES ($1, $2, $3, $4)", [id, d.worker, delivery, o === "duplicate" ? "duplicate" : o === "dead" ? "dead" : "processed"]);
      if (rec.rows[0]!.state !== "pending") {
        await attempt("duplicate");
        return "duplicate";
      }
      const payload = rec.rows[0]!.payload;
      if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
        await c.query("INSERT INTO dead_letters (record_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING", [id, "payload is not an object"]);
        await c.query("UPDATE records SET state = 'dead' WHERE id = $1", [id]);
        await attempt("dead");
        return "dead";
      }
      const output = syntheticWork(payload, d.work);
      const inserted = await c.query("INSERT INTO results (record_id, output, worker, traceparent) VALUES ($1, $2, $3, $4) ON CONFLICT (record_id) DO NOTHING", [id, output, d.worker, traceparent]);
      if (inserted.rowCount === 0) {
        await attempt("duplicate");
        return "duplicate";
      }
      await c.query("UPDATE records SET state = 'processed', processed_at = now() WHERE id = $1", [id]);
      await attempt("processed");
      return "processed";
    });
  } catch (err) {
    // PostgreSQL away (or any other failure): let JetStream deliver it again after a jittered delay.
    const retryInMs = fullJitterDelay(delivery, d.backoff);
    m.nak(retryInMs);
    log.warn({ err: String((err as Error)?.message ?? err), transient: isUnavailable(err), retryInMs }, "processing failed; nak");
    return "unknown";
  }
  if (outcome === "unknown") {
    // No such record: it can never succeed.
    m.term("no such record");
    d.metrics.deadLettered.inc();
    log.error("message for an unknown record terminated");
    return "poison";
  }
  await m.ackAck();
  d.metrics.processing.observe(Number(process.hrtime.bigint() - t0) / 1e9);
  if (outcome === "processed") d.metrics.recordsProcessed.inc();
  if (outcome === "duplicate") d.metrics.duplicatesSuppressed.inc();
  if (outcome === "dead") d.metrics.deadLettered.inc();
  log.info({ outcome }, "message handled");
  return outcome;
}
