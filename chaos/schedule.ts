// Seeded chaos schedules: the same seed, names and load length always give the same start times, so a run
// that found something can be repeated exactly.
import { findExperiment } from "./builtins";
import { ExperimentError } from "./validate";
import type { Experiment } from "./types";

/** mulberry32: a tiny 32-bit PRNG, good enough to spread start times and fully determined by its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Time for the steady-state check before the method. */
export const BEFORE_CHECK_SECONDS = 3;
/**
 * Time planned for recovery after the method. An experiment may wait up to its recoveryDeadlineSeconds; the
 * plan counts only this much, so the driver starts the next one at max(planned start, previous end).
 */
export const RECOVERY_ALLOWANCE_SECONDS = 15;

/** Seconds an experiment is planned to take: check, method, recovery allowance. */
export function plannedSeconds(exp: Experiment, recoveryAllowance = RECOVERY_ALLOWANCE_SECONDS): number {
  const method = Math.max(...exp.method.map((f) => f.startAfterSeconds + f.durationSeconds));
  return Math.ceil(BEFORE_CHECK_SECONDS + method + Math.min(exp.recoveryDeadlineSeconds, recoveryAllowance));
}

/**
 * Start offsets for back-to-back spans with `slack` seconds spread in random gaps (before the first, between,
 * after the last), each at least half the average gap.
 */
export function spreadStarts(spans: number[], slack: number, random: () => number): number[] {
  const weights = Array.from({ length: spans.length + 1 }, () => 0.5 + random());
  const total = weights.reduce((a, b) => a + b, 0);
  let t = 0;
  return spans.map((span, i) => {
    t += Math.floor((slack * weights[i]!) / total);
    const startAt = t;
    t += span;
    return startAt;
  });
}

/**
 * Places the experiments, in the order given, within the load: they never overlap and the last one
 * ends by `loadSeconds`. The spare time is split into random gaps (before the first, between, after the
 * last), each at least half the average gap, so the load always warms up before the first fault.
 */
export function planSchedule(experiments: (string | Experiment)[], seed: number, loadSeconds: number): { experiment: string; startAt: number }[] {
  if (!Number.isInteger(seed)) throw new ExperimentError(`seed: got ${seed}; allowed: an integer`);
  if (!Number.isFinite(loadSeconds) || loadSeconds <= 0) throw new ExperimentError(`loadSeconds: got ${loadSeconds}; allowed: a number of seconds above 0`);
  // Built-ins by name, or experiments already loaded (from a file).
  const resolved = experiments.map((e) => (typeof e === "string" ? findExperiment(e) : e));
  const names = resolved.map((e) => e.name);
  const spans = resolved.map((e) => plannedSeconds(e));
  const needed = spans.reduce((a, b) => a + b, 0);
  if (needed > loadSeconds) {
    const each = names.map((n, i) => `${n} ${spans[i]} s`).join(", ");
    throw new ExperimentError(`the load runs ${loadSeconds} s but the experiments need ${needed} s (${each}); allowed: a longer load or fewer experiments`);
  }
  const starts = spreadStarts(spans, loadSeconds - needed, mulberry32(seed));
  return names.map((experiment, i) => ({ experiment, startAt: starts[i]! }));
}
