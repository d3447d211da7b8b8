// Accepting records in batches (group commit): each request waits for the one statement that stores its
// record (pending) together with those of the requests that arrived beside it; once committed, the batch goes
// to the relay to publish. A pending record is the durable promise to publish it: what the relay cannot
// publish from memory it parks in the outbox, and the reconciler parks what a crash lost. A retry with a known
// key gets the stored id; a statement that fails for one bad record is retried one record at a time, so only
// that request fails.
import { createBatcher, type BatchOptions } from "../../core/batch.ts";
import { isUnavailable, type Db } from "../../core/db.ts";
import { uuidv7 } from "../../core/ids.ts";
import type { Stored } from "./relay.ts";

export interface Submission {
  key: string;
  payload: unknown;
  traceparent: string;
}

export interface Accepted {
  id: string;
  created: boolean;
}

// One statement, atomic on its own. Input as one JSON array (one parameter, parsed once). Keys go in sorted
// order, so two batches that share keys (concurrent retries) wait for each other in one order, never in a
// cycle. A key this statement did not store is looked up from its input row (a correlated subquery, always an
// index probe; as a join, the planner's guess of a hundred input rows can turn it into a scan of the table),
// in the snapshot from before the inserts: it finds keys stored by earlier requests.
const ACCEPT = {
  name: "accept-records",
  text: `WITH input AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, key text, payload jsonb, traceparent text)),
         new AS (
           INSERT INTO records (id, idempotency_key, payload, traceparent)
           SELECT id, key, payload, traceparent FROM input ORDER BY key
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key)
         SELECT id, idempotency_key AS key, true AS created FROM new
         UNION ALL
         SELECT (SELECT r.id FROM records r WHERE r.idempotency_key = i.key), i.key, false FROM input i
          WHERE i.key NOT IN (SELECT idempotency_key FROM new)`,
};

const FIND = { name: "find-records", text: "SELECT id, idempotency_key AS key FROM records WHERE idempotency_key = ANY($1::text[])" };

async function acceptBatch(db: Db, subs: Submission[], onStored: (stored: Stored[]) => void): Promise<(Accepted | Error)[]> {
  // One row per key; requests with the same key in one batch share its answer (the first one created it).
  const unique = [...new Map(subs.map((s) => [s.key, s])).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rows = unique.map((s) => ({ id: uuidv7(), key: s.key, payload: s.payload, traceparent: s.traceparent }));
  const input = JSON.stringify(rows);
  const r = await db.query<{ id: string | null; key: string; created: boolean }>(ACCEPT.text, [input], ACCEPT.name);
  const byKey = new Map<string, Accepted>();
  for (const row of r.rows) if (row.id !== null) byKey.set(row.key, { id: row.id, created: row.created });
  // Committed: the new records go to the relay now, so it need not read back what was just written.
  const stored = rows.filter((x) => byKey.get(x.key)?.created === true).map((x) => ({ id: x.id, payload: JSON.stringify(x.payload), traceparent: x.traceparent }));
  if (stored.length > 0) onStored(stored);
  // A concurrent request with the same key committed after this statement's snapshot: read it now.
  const missing = unique.filter((s) => !byKey.has(s.key)).map((s) => s.key);
  if (missing.length > 0) {
    const found = await db.query<{ id: string; key: string }>(FIND.text, [missing], FIND.name);
    for (const row of found.rows) byKey.set(row.key, { id: row.id, created: false });
  }
  const answered = new Set<string>();
  return subs.map((s) => {
    const row = byKey.get(s.key);
    if (!row) return new Error(`record for key ${JSON.stringify(s.key)} neither stored nor found`);
    const created = row.created && !answered.has(s.key);
    answered.add(s.key);
    return { id: row.id, created };
  });
}

/** `onStored` gets the records each batch created, once it is committed. */
export function createAcceptor(db: Db, o: BatchOptions, onStored: (stored: Stored[]) => void): (s: Submission) => Promise<Accepted> {
  return createBatcher<Submission, Accepted>(async (subs) => {
    try {
      return await acceptBatch(db, subs, onStored);
    } catch (err) {
      // PostgreSQL away: every request of the batch gets its 503. Anything else may be one record's fault.
      if (isUnavailable(err) || subs.length === 1) throw err;
      return Promise.all(subs.map((s) => acceptBatch(db, [s], onStored).then((r) => r[0]!, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
    }
  }, o);
}
