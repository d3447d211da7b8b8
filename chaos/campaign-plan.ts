// A campaign's seeded schedule: how many times each experiment runs in the window between the warm-up and the
// quiet tail, in which order (a seeded shuffle) and when (each lane's spare time spread in random gaps). The same
// seed, campaign and load length always give the same schedule, so a run that found something replays exactly.
import type { Campaign, Lane } from "./campaign";
import { mulberry32, plannedSeconds, spreadStarts } from "./schedule";
import { ExperimentError } from "./validate";

export interface PlannedExperiment {
  experiment: string;
  /** Seconds since the load started. */
  startAt: number;
  /** Absent: the main lane (plain --experiments schedules have only that one). */
  lane?: Lane;
}

/** Times each experiment runs in a window of `windowSeconds`: at least once each. */
export function occurrences(c: Campaign, windowSeconds: number): Map<string, number> {
  const out = new Map<string, number>();
  const weighted = c.entries.filter((e) => e.weight !== undefined);
  for (const e of c.entries) {
    if (e.count !== undefined) out.set(e.experiment.name, e.count);
    else if (e.meanIntervalSeconds !== undefined) out.set(e.experiment.name, Math.max(1, Math.floor(windowSeconds / e.meanIntervalSeconds)));
  }
  if (weighted.length > 0) {
    // One shared draw at the campaign's interval, split by weight (largest remainder, so the total is exact).
    const total = Math.max(weighted.length, Math.floor(windowSeconds / c.meanIntervalSeconds!));
    const sum = weighted.reduce((a, e) => a + e.weight!, 0);
    const exact = weighted.map((e) => (total * e.weight!) / sum);
    const counts = exact.map((x) => Math.max(1, Math.floor(x)));
    const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
    for (let k = 0; counts.reduce((a, b) => a + b, 0) < total; k++) counts[order[k % order.length]!.i]! += 1;
    weighted.forEach((e, i) => out.set(e.experiment.name, counts[i]!));
  }
  return out;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function planCampaign(c: Campaign, seed: number, loadSeconds: number): PlannedExperiment[] {
  if (!Number.isInteger(seed)) throw new ExperimentError(`seed: got ${seed}; allowed: an integer`);
  const window = loadSeconds - c.warmupSeconds - c.quietTailSeconds;
  if (window <= 0) {
    throw new ExperimentError(`campaign ${c.name}: the load runs ${loadSeconds} s, which leaves no time between the warm-up (${c.warmupSeconds} s) and the quiet tail (${c.quietTailSeconds} s); allowed: a --duration above ${c.warmupSeconds + c.quietTailSeconds} s`);
  }
  const counts = occurrences(c, window);
  const random = mulberry32(seed);
  const plan: PlannedExperiment[] = [];
  for (const lane of ["main", "overlap"] as const) {
    const entries = c.entries.filter((e) => e.overlap === (lane === "overlap"));
    const runs = shuffle(entries.flatMap((e) => Array.from({ length: counts.get(e.experiment.name)! }, () => e.experiment)), random);
    const spans = runs.map((e) => plannedSeconds(e, c.recoveryAllowanceSeconds));
    const needed = spans.reduce((a, b) => a + b, 0);
    if (needed > window) {
      const each = entries.map((e) => `${counts.get(e.experiment.name)} x ${e.experiment.name} ${plannedSeconds(e.experiment, c.recoveryAllowanceSeconds)} s`).join(", ");
      throw new ExperimentError(`campaign ${c.name}: its ${lane} lane needs ${needed} s (${each}) but the window between the warm-up and the quiet tail is ${window} s; allowed: a longer --duration, longer intervals, shorter faults, or moving experiments to the other lane (overlap)`);
    }
    const starts = spreadStarts(spans, window - needed, random);
    runs.forEach((e, i) => plan.push({ experiment: e.name, startAt: c.warmupSeconds + starts[i]!, lane }));
  }
  return plan.sort((a, b) => a.startAt - b.startAt || (a.lane === "main" ? -1 : 1));
}
