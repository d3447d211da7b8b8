// The load's figures, computed from the ledger rather than from an engine's summary, so the timeline, the counts,
// the SLO gates and the integrity check all describe the same requests, whichever engine sent them. Built one
// line at a time with bounded memory: latencies go into HDR histograms, and a second's latencies are kept only
// until the ledger (written in completion order) has moved a few seconds past it.
import { outcomeOf, type LedgerEntry } from "../integrity/ledger";
import { plannedBetween, type LoadPlan } from "./plan";
import { latencyHistogram, msAt, SloEvaluator } from "./slo";
import type { StageKept, ThresholdResult, TimelinePoint } from "./types";

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

interface Second {
  acknowledged: number;
  requests: number;
  bad: number;
  /** Latencies of the requests that ended in this second, until the second is closed; then its p95. */
  latencies: number[] | undefined;
  p95Ms: number;
}

/** Seconds the ledger may run behind: an entry that ends this long before the newest one closes its second. */
const REORDER_SECONDS = 5;

export class FigureBuilder {
  private readonly counts = { requests: 0, acknowledged: 0, rejected4xx: 0, failed5xx: 0, timeouts: 0 };
  private readonly all = latencyHistogram();
  private readonly seconds = new Map<number, Second>();
  /** Requests started per tenth of a second since `startMs`, for the schedule comparison (7 MB for 24 h). */
  private readonly starts: number[] = [];
  private firstStartMs = Infinity;
  private newestSecond = -Infinity;
  private readonly slo: SloEvaluator | undefined;

  /** @param startMs t = 0 of the timeline (the load's start). */
  constructor(
    private readonly startMs: number,
    plan?: Pick<LoadPlan, "slo">,
  ) {
    this.slo = plan ? new SloEvaluator(plan.slo) : undefined;
  }

  add(e: LedgerEntry): void {
    const outcome = outcomeOf(e.s);
    this.counts.requests++;
    if (outcome === "acknowledged") this.counts.acknowledged++;
    else if (outcome === "rejected") this.counts.rejected4xx++;
    else if (e.s === 0) this.counts.timeouts++;
    else this.counts.failed5xx++;
    this.all.recordValue(Math.max(1, Math.round(e.d * 1000)));
    this.slo?.add(e);
    this.firstStartMs = Math.min(this.firstStartMs, e.t);
    const tenth = Math.max(0, Math.floor((e.t - this.startMs) / 100));
    while (this.starts.length <= tenth) this.starts.push(0);
    this.starts[tenth]!++;

    const second = Math.max(0, Math.floor((e.t + e.d - this.startMs) / 1000));
    let s = this.seconds.get(second);
    if (!s) this.seconds.set(second, (s = { acknowledged: 0, requests: 0, bad: 0, latencies: [], p95Ms: 0 }));
    s.requests++;
    if (outcome === "acknowledged") s.acknowledged++;
    else s.bad++;
    s.latencies?.push(e.d); // a straggler for a closed second counts, but no longer moves its p95
    if (second > this.newestSecond) {
      this.newestSecond = second;
      this.closeSecondsBefore(second - REORDER_SECONDS);
    }
  }

  private closeSecondsBefore(limit: number): void {
    for (const [t, s] of this.seconds) if (t < limit && s.latencies) this.close(s);
  }

  private close(s: Second): void {
    s.p95Ms = percentile(s.latencies!.sort((a, b) => a - b), 95);
    s.latencies = undefined;
  }

  figures(): LedgerFigures {
    for (const s of this.seconds.values()) if (s.latencies) this.close(s);
    const timeline: TimelinePoint[] = [];
    const last = Math.max(-1, ...this.seconds.keys());
    for (let t = 0; t <= last; t++) {
      const s = this.seconds.get(t);
      timeline.push({ t, acknowledged: s?.acknowledged ?? 0, requests: s?.requests ?? 0, errorRate: s && s.requests > 0 ? s.bad / s.requests : 0, p95Ms: s?.p95Ms ?? 0 });
    }
    const max = this.all.totalCount === 0 ? 0 : Math.round(this.all.maxValue / 100) / 10;
    return { ...this.counts, latencyMs: { p50: msAt(this.all, 50), p95: msAt(this.all, 95), p99: msAt(this.all, 99), max }, timeline };
  }

  thresholds(): ThresholdResult[] {
    return this.slo?.results() ?? [];
  }

  /**
   * Each stage of the plan against what was sent: requests whose start fell in the stage's window, measured
   * from the first request's start (the engine's own t = 0) to a tenth of a second.
   */
  scheduleKept(plan: Pick<LoadPlan, "startRate" | "stages">): StageKept[] {
    if (this.firstStartMs === Infinity) return [];
    const origin = Math.floor((this.firstStartMs - this.startMs) / 100);
    const sentBetween = (from: number, to: number) => {
      let n = 0;
      for (let i = origin + Math.round(from * 10); i < origin + Math.round(to * 10); i++) n += this.starts[i] ?? 0;
      return n;
    };
    const out: StageKept[] = [];
    let from = 0;
    let previous = plan.startRate;
    for (const stage of plan.stages) {
      const to = from + stage.seconds;
      const planned = Math.round(plannedBetween(plan, from, to));
      const sent = sentBetween(from, to);
      out.push({ from, to, kind: stage.target === previous ? "hold" : "ramp", targetRps: stage.target, planned, sent, deviationPct: planned === 0 ? 0 : Math.round(((sent - planned) / planned) * 1000) / 10 });
      from = to;
      previous = stage.target;
    }
    return out;
  }
}

/** Counts, latency percentiles and a per-second timeline, with t = 0 at `startMs` (the load's start). */
export function ledgerFigures(entries: LedgerEntry[], startMs: number): LedgerFigures {
  const b = new FigureBuilder(startMs);
  for (const e of entries) b.add(e);
  return b.figures();
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
