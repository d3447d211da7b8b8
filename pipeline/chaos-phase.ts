// The chaos steps that run alongside the load: each scheduled experiment starts at its time (seconds since the
// load started) and runs to the end of its own rollback; one experiment failing never stops the next one.
import { runExperiment, type ChaosTargets, type Experiment } from "../chaos";
import type { ExperimentResult } from "../reporting/model";

export interface ChaosPhaseOptions {
  signal: AbortSignal;
  clock: () => number;
  log: (line: string) => void;
  errorRate: (windowSeconds: number) => number;
}

async function waitUntil(clock: () => number, at: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && clock() < at) await new Promise((r) => setTimeout(r, Math.min(500, Math.max(10, (at - clock()) * 1000))));
}

export async function runChaosSchedule(schedule: { experiment: string; startAt: number }[], definitions: Experiment[], targets: ChaosTargets, o: ChaosPhaseOptions): Promise<ExperimentResult[]> {
  const results: ExperimentResult[] = [];
  for (const planned of [...schedule].sort((a, b) => a.startAt - b.startAt)) {
    await waitUntil(o.clock, planned.startAt, o.signal);
    if (o.signal.aborted) break;
    const exp = definitions.find((d) => d.name === planned.experiment);
    if (!exp) throw new Error(`scheduled experiment ${planned.experiment} has no definition`);
    o.log(`chaos: ${exp.name} starts at ${o.clock().toFixed(1)} s`);
    try {
      const r = await runExperiment(exp, targets, o);
      o.log(`chaos: ${exp.name} ${r.status}${r.reason ? `: ${r.reason}` : ""}`);
      results.push(r);
    } catch (err) {
      // The engine itself failed (its rollbacks ran in its own finally); the report says so and the run goes on.
      const at = o.clock();
      results.push({ name: exp.name, description: exp.description, startedAt: planned.startAt, endedAt: at, steadyStateBefore: [], steadyStateAfter: [], faults: [], status: "error", reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}
