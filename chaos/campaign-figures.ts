// A campaign's reliability figures: per experiment (the campaign's fault kinds) how many ran, passed, failed or
// were skipped, recovery p50/p95/max and client errors during its windows; and every lost or duplicated record
// placed in the fault window it fell in, or before, between or after them (Jepsen's placement of lost writes).
import type { ExperimentResult } from "./results";

export interface ExperimentFigures {
  experiment: string;
  faultKinds: string[];
  /** Scheduled (including any not run because the lane ran late). */
  planned: number;
  /** Runs whose method put at least one fault in place. */
  injected: number;
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  /** Seconds from the faults' end until the steady state held, over the runs that recovered. */
  recoverySeconds?: { p50: number; p95: number; max: number };
  /** Requests without an acknowledgement that ended inside this experiment's windows. */
  clientErrors: number;
  lost: number;
  duplicated: number;
}

/** A window is a fault's start to its experiment's end (recovery included). */
export interface Placement {
  where: string;
  from: number;
  to: number;
  lost: number;
  duplicated: number;
}

export interface CampaignFigures {
  name: string;
  faults: number;
  kinds: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  experiments: ExperimentFigures[];
  /** Windows holding a lost or duplicated record, and the three spans outside every window (always listed). */
  placements: Placement[];
  /** "N faults of K kinds, A acknowledged, L lost, D duplicated". */
  summary: string;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const injected = (e: ExperimentResult) => e.faults.some((f) => f.status === "applied");

function windowOf(e: ExperimentResult): { from: number; to: number } | undefined {
  const applied = e.faults.filter((f) => f.status === "applied");
  if (applied.length === 0) return undefined;
  return { from: Math.min(...applied.map((f) => f.startedAt)), to: Math.max(e.endedAt, ...applied.map((f) => f.endedAt)) };
}

/**
 * `lostAt`, `duplicatedAt` and `clientErrorsAt` are seconds since the load started (a lost record: when it was
 * acknowledged; a client error: when the request ended).
 */
export function campaignFigures(name: string, results: ExperimentResult[], o: { acknowledged: number; loadSeconds: number; lostAt: number[]; duplicatedAt: number[]; clientErrorsAt: number[] }): CampaignFigures {
  const windows = results.map((e) => ({ e, w: windowOf(e) })).filter((x): x is { e: ExperimentResult; w: { from: number; to: number } } => x.w !== undefined);
  const inside = (t: number, w: { from: number; to: number }) => t >= w.from && t <= w.to;
  const count = (times: number[], ws: { from: number; to: number }[]) => times.filter((t) => ws.some((w) => inside(t, w))).length;

  const names = [...new Set(results.map((e) => e.name))];
  const experiments = names.map((n): ExperimentFigures => {
    const runs = results.filter((e) => e.name === n);
    const ws = windows.filter((x) => x.e.name === n).map((x) => x.w);
    const rec = runs.filter((e) => injected(e) && e.recoverySeconds !== undefined).map((e) => e.recoverySeconds!).sort((a, b) => a - b);
    return {
      experiment: n,
      faultKinds: [...new Set(runs.flatMap((e) => e.faults.map((f) => f.kind)))],
      planned: runs.length,
      injected: runs.filter(injected).length,
      passed: runs.filter((e) => e.status === "passed").length,
      failed: runs.filter((e) => e.status === "failed").length,
      skipped: runs.filter((e) => e.status === "skipped").length,
      errors: runs.filter((e) => e.status === "error").length,
      ...(rec.length > 0 ? { recoverySeconds: { p50: rank(rec, 50), p95: rank(rec, 95), max: rec[rec.length - 1]! } } : {}),
      clientErrors: count(o.clientErrorsAt, ws),
      lost: count(o.lostAt, ws),
      duplicated: count(o.duplicatedAt, ws),
    };
  });

  const placements: Placement[] = [];
  windows.forEach(({ e, w }, i) => {
    const lost = o.lostAt.filter((t) => inside(t, w)).length;
    const duplicated = o.duplicatedAt.filter((t) => inside(t, w)).length;
    if (lost + duplicated > 0) placements.push({ where: `window ${i + 1}: ${e.name}`, from: w.from, to: w.to, lost, duplicated });
  });
  const outside = (t: number) => !windows.some((x) => inside(t, x.w));
  const span = (where: string, from: number, to: number, pick: (t: number) => boolean): Placement => ({
    where, from, to, lost: o.lostAt.filter((t) => outside(t) && pick(t)).length, duplicated: o.duplicatedAt.filter((t) => outside(t) && pick(t)).length,
  });
  if (windows.length === 0) {
    placements.push(span("no fault in place", 0, o.loadSeconds, () => true));
  } else {
    const first = Math.min(...windows.map((x) => x.w.from));
    const last = Math.max(...windows.map((x) => x.w.to));
    placements.push(
      span("before the first fault", 0, first, (t) => t < first),
      span("between faults", first, last, (t) => t >= first && t <= last),
      span("after the last fault", last, Math.max(last, o.loadSeconds), (t) => t > last),
    );
  }

  const faults = experiments.reduce((a, x) => a + x.injected, 0);
  const kinds = experiments.filter((x) => x.injected > 0).length;
  const lost = o.lostAt.length;
  const duplicated = o.duplicatedAt.length;
  return {
    name, faults, kinds, acknowledged: o.acknowledged, lost, duplicated, experiments, placements,
    summary: `${faults} faults of ${kinds} kinds, ${o.acknowledged} acknowledged, ${lost} lost, ${duplicated} duplicated`,
  };
}
