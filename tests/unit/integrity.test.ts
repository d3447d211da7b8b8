// The integrity checker's rules on hand-made ledgers and reads: every category can be produced, and the
// verdict fails exactly on lost, duplicate, unexpected and rejected-but-processed keys.
import { describe, expect, it } from "vitest";
import { checkIntegrity, integrityReasons } from "../../integrity/check";
import type { FinalRead } from "../../integrity/check";
import { kneeRps, ledgerFigures, percentile } from "../../load/figures";
import { outcomeOf, parseLedgerLine, type LedgerEntry } from "../../integrity/ledger";

const T0 = 1_800_000_000_000;
const entry = (k: string, s: number, at: number, d = 10, e?: number): LedgerEntry => ({ t: T0 + at, k, s, d, ...(e !== undefined ? { e } : {}) });

function read(rows: Record<string, { state?: string; hasResult?: boolean; processedAttempts?: number }>): FinalRead {
  return {
    records: new Map(Object.entries(rows).map(([k, r]) => [k, { state: r.state ?? "processed", hasResult: r.hasResult ?? true, processedAttempts: r.processedAttempts ?? 1 }])),
  };
}

describe("checkIntegrity", () => {
  it("passes when every acknowledged key has exactly one effect", () => {
    const r = checkIntegrity([entry("a", 202, 0), entry("b", 202, 100)], read({ a: {}, b: {} }));
    expect(r).toMatchObject({ attempted: 2, acknowledged: 2, processed: 2, lost: [], duplicates: [], unexpected: [], unknown: [], passed: true, reads: 1 });
    expect(integrityReasons(r)).toEqual([]);
  });

  it("places lost keys before, between and after the acknowledged keys that were read, and marks vanished ones", () => {
    const ledger = [entry("early", 202, 0), entry("r1", 202, 1000), entry("mid", 202, 2000), entry("r2", 202, 3000), entry("late", 202, 4000)];
    const r = checkIntegrity(ledger, read({ r1: {}, r2: {}, mid: { state: "pending", hasResult: false, processedAttempts: 0 } }), { seen: new Set(["mid"]), count: 3 });
    expect(r.lost).toEqual([
      { key: "early", acknowledgedAt: T0 + 10, when: "before-first-read", seenThenGone: false },
      { key: "mid", acknowledgedAt: T0 + 2010, when: "between-reads", seenThenGone: true },
      { key: "late", acknowledgedAt: T0 + 4010, when: "after-last-read", seenThenGone: false },
    ]);
    expect(r.reads).toBe(4);
    expect(r.passed).toBe(false);
    expect(integrityReasons(r)).toEqual(["3 acknowledged record(s) lost: early, mid, late"]);
  });

  it("counts a second committed effect as a duplicate, names unexpected keys and keys processed after a 4xx", () => {
    const ledger = [entry("twice", 202, 0), entry("no", 429, 0)];
    const r = checkIntegrity(ledger, read({ twice: { processedAttempts: 2 }, stranger: {}, no: {} }));
    expect(r.duplicates).toEqual([{ key: "twice", effects: 2 }]);
    expect(r.unexpected).toEqual(["stranger"]);
    expect(r.rejectedButProcessed).toEqual(["no"]);
    expect(r.passed).toBe(false);
    expect(integrityReasons(r)).toHaveLength(3);
  });

  it("reports unknown outcomes (timeouts, 5xx) with whether they appeared, without failing", () => {
    const ledger = [entry("t", 0, 0, 10_000, 1050), entry("five", 503, 0), entry("refused", 0, 0, 1, 1212)];
    const r = checkIntegrity(ledger, read({ t: {} }));
    expect(r.unknown).toEqual([
      { key: "five", outcome: "503", appeared: false },
      { key: "refused", outcome: "no answer", appeared: false },
      { key: "t", outcome: "timeout", appeared: true },
    ]);
    expect(r.passed).toBe(true);
  });

  it("takes a retried key as acknowledged once any attempt was, and counts dead letters apart", () => {
    const r = checkIntegrity([entry("k", 503, 0), entry("k", 202, 500)], read({ k: {}, poison: { state: "dead", hasResult: false, processedAttempts: 0 } }));
    expect(r).toMatchObject({ attempted: 1, acknowledged: 1, unknown: [], dead: 1, passed: true });
  });
});

describe("ledger", () => {
  it("classifies statuses and rejects malformed lines with the file and line", () => {
    expect([202, 200, 400, 429, 503, 0].map(outcomeOf)).toEqual(["acknowledged", "acknowledged", "rejected", "rejected", "unknown", "unknown"]);
    expect(parseLedgerLine('{"t":1,"k":"a","s":202,"d":1.5}', "x:1")).toEqual({ t: 1, k: "a", s: 202, d: 1.5 });
    expect(parseLedgerLine("   ", "x:2")).toBeUndefined();
    expect(() => parseLedgerLine("{nope", "f.jsonl:3")).toThrow("f.jsonl:3: not a JSON line");
    expect(() => parseLedgerLine('{"t":1,"k":2,"s":202,"d":1}', "f.jsonl:4")).toThrow('f.jsonl:4: expected {"t": number, "k": string');
  });

  it("builds a per-second timeline by end time, with error rate and p95", () => {
    const ledger = [entry("a", 202, 100, 50), entry("b", 202, 200, 70), entry("c", 503, 900, 200), entry("d", 202, 2500, 30)];
    const f = ledgerFigures(ledger, T0);
    expect(f).toMatchObject({ requests: 4, acknowledged: 3, rejected4xx: 0, failed5xx: 1, timeouts: 0 });
    expect(f.timeline).toEqual([
      { t: 0, acknowledged: 2, requests: 2, errorRate: 0, p95Ms: 70 },
      { t: 1, acknowledged: 0, requests: 1, errorRate: 1, p95Ms: 200 },
      { t: 2, acknowledged: 1, requests: 1, errorRate: 0, p95Ms: 30 },
    ]);
    // Percentiles come from an HDR histogram (3 significant digits): within 0.1 % of the exact value.
    for (const [p, exact] of [["p50", 50], ["p95", 200], ["p99", 200], ["max", 200]] as const) expect(Math.abs(f.latencyMs[p] - exact), p).toBeLessThanOrEqual(exact * 0.001);
    expect(percentile([], 95)).toBe(0);
  });

  it("finds the stress knee: the highest rate held for 5 s within p95 and without errors", () => {
    const point = (t: number, requests: number, p95Ms: number, errorRate = 0) => ({ t, acknowledged: requests, requests, errorRate, p95Ms });
    const timeline = [...[0, 1, 2, 3, 4].map((t) => point(t, 100, 20)), ...[5, 6, 7, 8, 9].map((t) => point(t, 200, 40)), point(10, 300, 150), ...[11, 12, 13, 14, 15].map((t) => point(t, 300, 50, 0.01))];
    expect(kneeRps(timeline)).toBe(200);
    expect(kneeRps(timeline.slice(10))).toBeUndefined();
  });
});
