// The load's figures, computed from the ledger rather than from k6's summary, so the timeline, the counts and
// the integrity check all describe the same requests.
import type { TimelinePoint } from "../reporting/model";
import { outcomeOf, type LedgerEntry } from "./ledger";

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface LedgerFigures {
  requests: number;
  acknowledged: number;
  rejected4xx: number;
  failed5xx: number;
  timeouts: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  timeline: TimelinePoint[];
}

/** Counts, latency percentiles and a per-second timeline, with t = 0 at `startMs` (the load's start). */
export function ledgerFigures(entries: LedgerEntry[], startMs: number): LedgerFigures {
  const f = { requests: entries.length, acknowledged: 0, rejected4xx: 0, failed5xx: 0, timeouts: 0 };
  const buckets = new Map<number, { ack: number; n: number; bad: number; d: number[] }>();
  const all: number[] = [];
  for (const e of entries) {
    const outcome = outcomeOf(e.s);
    if (outcome === "acknowledged") f.acknowledged++;
    else if (outcome === "rejected") f.rejected4xx++;
    else if (e.s === 0) f.timeouts++;
    else f.failed5xx++;
    all.push(e.d);
    const second = Math.max(0, Math.floor((e.t + e.d - startMs) / 1000));
    const b = buckets.get(second) ?? { ack: 0, n: 0, bad: 0, d: [] };
    b.n++;
    if (outcome === "acknowledged") b.ack++;
    else b.bad++;
    b.d.push(e.d);
    buckets.set(second, b);
  }
  all.sort((a, b) => a - b);
  const last = Math.max(-1, ...buckets.keys());
  const timeline: TimelinePoint[] = [];
  for (let t = 0; t <= last; t++) {
    const b = buckets.get(t);
    const d = (b?.d ?? []).sort((x, y) => x - y);
    timeline.push({ t, acknowledged: b?.ack ?? 0, requests: b?.n ?? 0, errorRate: b && b.n > 0 ? b.bad / b.n : 0, p95Ms: percentile(d, 95) });
  }
  return { ...f, latencyMs: { p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99), max: all.at(-1) ?? 0 }, timeline };
}

/**
 * The stress profile's knee: the highest request rate held for `windowSeconds` in a row with every second's
 * p95 under `p95Ms` and no error. Undefined when no window qualifies.
 */
export function kneeRps(timeline: TimelinePoint[], p95Ms = 99, windowSeconds = 5): number | undefined {
  let best: number | undefined;
  for (let i = 0; i + windowSeconds <= timeline.length; i++) {
    const w = timeline.slice(i, i + windowSeconds);
    if (w.some((p) => p.requests === 0 || p.p95Ms >= p95Ms || p.errorRate > 0)) continue;
    const rate = w.reduce((sum, p) => sum + p.requests, 0) / windowSeconds;
    best = Math.max(best ?? 0, Math.round(rate));
  }
  return best;
}
