// Committing results in batches (group commit): each message's result waits for the one statement that
// stores it together with the results of the messages handled beside it, and is acked only after that commit.
// The record id stays the key: the results table's primary key makes a second effect impossible, so a
// redelivery, in this batch or another, inserts nothing and is counted as a duplicate.
import { createBatcher, type BatchOptions } from "../../core/batch.ts";
import { isUnavailable, type Db } from "../../core/db.ts";

export interface Result {
  id: string;
  output: { digest: string; filler: string };
  traceparent: string;
  delivery: number;
}

/** processed: this commit made the effect; duplicate: it existed already; unknown: no such record. */
export type CommitOutcome = "processed" | "duplicate" | "unknown";

// One statement, atomic on its own: store the results of records still pending (ids in sorted order, so two
// batches sharing an id wait in one order), mark those records processed, and note every attempt; then answer
// each input id, with how long ago the records it processed were accepted (both times the database's own clock,
// so no two hosts' clocks are compared). Each record is looked up by its key from the input row (a correlated subquery, always an index
// probe): as a join, the planner's guess of a hundred input rows can turn it into a scan of the whole table.
const COMMIT = {
  name: "commit-results",
  text: `WITH input AS (
           SELECT t.*, (SELECT r.state FROM records r WHERE r.id = t.id) AS state
             FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, output jsonb, traceparent text, delivery int)),
         ins AS (
           INSERT INTO results (record_id, output, worker, traceparent)
           SELECT id, output, $2, traceparent FROM input WHERE state = 'pending' ORDER BY id
           ON CONFLICT (record_id) DO NOTHING RETURNING record_id),
         upd AS (UPDATE records r SET state = 'processed', processed_at = now() FROM ins WHERE r.id = ins.record_id
                 RETURNING r.id, extract(epoch FROM now() - r.accepted_at)::float8 AS age),
         att AS (
           INSERT INTO processing_attempts (record_id, worker, delivery, outcome)
           SELECT id, $2, delivery, CASE WHEN id IN (SELECT record_id FROM ins) THEN 'processed' ELSE 'duplicate' END
             FROM input WHERE state IS NOT NULL)
         SELECT i.id, i.state IS NOT NULL AS known, i.id IN (SELECT record_id FROM ins) AS processed, u.age
           FROM input i LEFT JOIN upd u ON u.id = i.id`,
};

/** Told the seconds from a record's acceptance to the commit that processed it (the accept-to-processed SLI). */
export type OnProcessed = (secondsSinceAccepted: number) => void;

async function commitBatch(db: Db, worker: string, results: Result[], onProcessed: OnProcessed): Promise<(CommitOutcome | Error)[]> {
  // One row per record: a second copy of the same message in this batch is a duplicate without asking.
  const unique = [...new Map(results.map((r) => [r.id, r])).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const r = await db.query<{ id: string; known: boolean; processed: boolean; age: number | null }>(COMMIT.text, [JSON.stringify(unique), worker], COMMIT.name);
  for (const row of r.rows) if (row.processed && row.age !== null) onProcessed(Math.max(0, row.age));
  const byId = new Map(r.rows.map((row) => [row.id, row]));
  const answered = new Set<string>();
  return results.map((x) => {
    const row = byId.get(x.id);
    if (!row) return new Error(`no answer for record ${x.id}`);
    const first = !answered.has(x.id);
    answered.add(x.id);
    if (!row.known) return "unknown";
    return row.processed && first ? "processed" : "duplicate";
  });
}

export function createCommitter(db: Db, worker: string, o: BatchOptions, onProcessed: OnProcessed = () => {}): (r: Result) => Promise<CommitOutcome> {
  return createBatcher<Result, CommitOutcome>(async (results) => {
    try {
      return await commitBatch(db, worker, results, onProcessed);
    } catch (err) {
      // PostgreSQL away: every message of the batch is nak'd. Anything else may be one record's fault.
      if (isUnavailable(err) || results.length === 1) throw err;
      return Promise.all(results.map((x) => commitBatch(db, worker, [x], onProcessed).then((r) => r[0]!, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
    }
  }, o);
}
