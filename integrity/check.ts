// The integrity check, in the manner of Jepsen's queue and set checkers. From the ledger (attempted,
// acknowledged) and the final read after the drain:
//   lost        = acknowledged, no effect in the final read; placed before, between or after the acknowledged
//                 keys that were read (a loss between keys that survived is the clearest violation), and marked
//                 when a read during the load had seen it processed (it vanished);
//   duplicates  = more than one effect for one key;
//   unexpected  = an effect for a key nobody attempted;
//   rejected-but-processed = the client was told no (4xx) and the record was processed anyway;
//   unknown     = no answer or a 5xx: the client cannot know, so the final read says whether it appeared.
import type { IntegrityResult, LostKey } from "./results";
import { outcomeOf, type LedgerEntry } from "./ledger";

/** The final read after the drain: every record the system holds, from its oracle (oracle.ts). */
export interface FinalRead {
  /** Every record's key -> its state and how many effects it has. */
  records: Map<string, { state: string; hasResult: boolean; processedAttempts: number }>;
}

export interface ReadsDuringLoad {
  /** Keys a read during the load saw processed. */
  seen: Set<string>;
  /** How many reads during the load succeeded. */
  count: number;
}

interface KeyHistory {
  acknowledgedAt?: number;
  rejected: boolean;
  unknownOutcome?: string;
}

/** Per key, what the client learned: an acknowledgement wins over earlier failed attempts with the same key. */
function histories(ledger: LedgerEntry[]): Map<string, KeyHistory> {
  const byKey = new Map<string, KeyHistory>();
  for (const e of ledger) {
    const h = byKey.get(e.k) ?? { rejected: false };
    const outcome = outcomeOf(e.s);
    if (outcome === "acknowledged") h.acknowledgedAt = Math.min(h.acknowledgedAt ?? Infinity, e.t + e.d);
    else if (outcome === "rejected") h.rejected = true;
    else h.unknownOutcome = e.s === 0 ? (e.e === 1050 ? "timeout" : "no answer") : String(e.s);
    byKey.set(e.k, h);
  }
  return byKey;
}

export function checkIntegrity(ledger: LedgerEntry[], final: FinalRead, during: ReadsDuringLoad = { seen: new Set(), count: 0 }): IntegrityResult {
  const byKey = histories(ledger);
  const processed = (key: string) => final.records.get(key)?.hasResult === true;

  // The acknowledged keys that were read, by acknowledgement time: the frame a lost key is placed in.
  let firstReadAck = Infinity;
  let lastReadAck = -Infinity;
  for (const [key, h] of byKey) {
    if (h.acknowledgedAt !== undefined && processed(key)) {
      firstReadAck = Math.min(firstReadAck, h.acknowledgedAt);
      lastReadAck = Math.max(lastReadAck, h.acknowledgedAt);
    }
  }

  const lost: LostKey[] = [];
  const unknown: IntegrityResult["unknown"] = [];
  const rejectedButProcessed: string[] = [];
  let acknowledged = 0;
  for (const [key, h] of byKey) {
    if (h.acknowledgedAt !== undefined) {
      acknowledged++;
      if (!processed(key)) {
        const when = h.acknowledgedAt < firstReadAck ? "before-first-read" : h.acknowledgedAt > lastReadAck ? "after-last-read" : "between-reads";
        lost.push({ key, acknowledgedAt: h.acknowledgedAt, when, seenThenGone: during.seen.has(key) });
      }
    } else if (h.unknownOutcome !== undefined) {
      unknown.push({ key, outcome: h.unknownOutcome, appeared: processed(key) });
    } else if (h.rejected && processed(key)) {
      rejectedButProcessed.push(key);
    }
  }

  const duplicates: IntegrityResult["duplicates"] = [];
  const unexpected: string[] = [];
  let processedCount = 0;
  let dead = 0;
  for (const [key, r] of final.records) {
    if (r.state === "dead") dead++;
    const effects = Math.max(r.processedAttempts, r.hasResult ? 1 : 0);
    if (r.hasResult) processedCount++;
    if (effects > 1) duplicates.push({ key, effects });
    if (r.hasResult && !byKey.has(key)) unexpected.push(key);
  }

  lost.sort((a, b) => a.acknowledgedAt - b.acknowledgedAt);
  return {
    attempted: byKey.size,
    acknowledged,
    processed: processedCount,
    lost,
    duplicates: duplicates.sort((a, b) => a.key.localeCompare(b.key)),
    unexpected: unexpected.sort(),
    rejectedButProcessed: rejectedButProcessed.sort(),
    unknown: unknown.sort((a, b) => a.key.localeCompare(b.key)),
    dead,
    reads: during.count + 1,
    passed: lost.length === 0 && duplicates.length === 0 && unexpected.length === 0 && rejectedButProcessed.length === 0,
  };
}

/** One line per violated invariant, naming the keys (the first 20 of each). */
export function integrityReasons(r: IntegrityResult): string[] {
  const names = (keys: string[]) => keys.slice(0, 20).join(", ") + (keys.length > 20 ? `, and ${keys.length - 20} more` : "");
  const reasons: string[] = [];
  if (r.lost.length > 0) reasons.push(`${r.lost.length} acknowledged record(s) lost: ${names(r.lost.map((l) => l.key))}`);
  if (r.duplicates.length > 0) reasons.push(`${r.duplicates.length} record(s) processed more than once: ${names(r.duplicates.map((d) => d.key))}`);
  if (r.unexpected.length > 0) reasons.push(`${r.unexpected.length} record(s) processed that were never attempted: ${names(r.unexpected)}`);
  if ((r.rejectedButProcessed ?? []).length > 0) reasons.push(`${r.rejectedButProcessed!.length} rejected (4xx) record(s) processed anyway: ${names(r.rejectedButProcessed!)}`);
  return reasons;
}
