// Reads of the workload's database for the integrity check, through `psql` inside the PostgreSQL container
// (the engine's exec): no client, port or password on the host, and it works while Toxiproxy has faults on.
import * as docker from "../lib/docker-api";

const SEP = "\x1f"; // unit separator: never inside an idempotency key (printable characters only)

async function query(container: string, sql: string, timeoutMs = 120_000): Promise<string[][]> {
  const r = await docker.exec(container, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-tA", "-F", SEP, "-c", sql], timeoutMs);
  if (r.exitCode !== 0) throw new Error(`psql in ${container} exited ${r.exitCode}: ${r.output.trim().slice(0, 400)}`);
  return r.output
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split(SEP));
}

export interface FinalRead {
  /** Every record's key -> its state and how many effects it has. */
  records: Map<string, { state: string; hasResult: boolean; processedAttempts: number }>;
}

/**
 * The final read, after the drain. A record's effect is its row in `results` (what the worker commits);
 * `processing_attempts` with outcome 'processed' counts how many times an effect was committed, so a second
 * effect for one key shows even though the results table's key makes it impossible by design.
 */
export async function finalRead(container: string): Promise<FinalRead> {
  const rows = await query(
    container,
    `SELECT r.idempotency_key, r.state,
            EXISTS (SELECT 1 FROM results x WHERE x.record_id = r.id),
            (SELECT count(*) FROM processing_attempts a WHERE a.record_id = r.id AND a.outcome = 'processed')
       FROM records r`,
  );
  const records: FinalRead["records"] = new Map();
  for (const [key, state, hasResult, attempts] of rows) records.set(key!, { state: state!, hasResult: hasResult === "t", processedAttempts: Number(attempts) });
  return { records };
}

/** Records still waiting for a worker. */
export async function pendingCount(container: string): Promise<number> {
  const rows = await query(container, "SELECT count(*) FROM records WHERE state = 'pending'", 15_000);
  return Number(rows[0]?.[0] ?? NaN);
}

/**
 * One read during the load: the keys whose result was committed after `since` (the database's clock), and the
 * newest commit time seen, for the next read. Reads overlap by a few seconds so a commit in flight is not missed.
 */
export async function readProcessedSince(container: string, since: string | undefined): Promise<{ keys: string[]; newest: string | undefined }> {
  const where = since ? `WHERE x.processed_at > '${since}'::timestamptz - interval '5 seconds'` : "";
  const rows = await query(container, `SELECT r.idempotency_key, x.processed_at FROM results x JOIN records r ON r.id = x.record_id ${where}`, 30_000);
  let newest = since;
  for (const [, at] of rows) if (at && (!newest || at > newest)) newest = at;
  return { keys: rows.map((r) => r[0]!), newest };
}
