// The chaos steps that run alongside the load. Each lane of the schedule runs its experiments one at a time, each
// at its planned time or when the one before it ends, whichever is later; a campaign's two lanes run side by side,
// so faults overlap. One experiment failing never stops the next one.
import { runExperiment, type ChaosTargets, type Experiment, type Lane, type PlannedExperiment } from "../chaos";
import type { ExperimentResult } from "../reporting/model";

export interface ChaosPhaseOptions {
  signal: AbortSignal;
  clock: () => number;
  log: (line: string) => void;
  errorRate: (windowSeconds: number) => number;
  /** A campaign's: how long the main lane waits for the steady state, and when faults must stop (the quiet tail). */
  campaign?: { beforeWaitSeconds: number; lastStartAt: number };
}

async function waitUntil(clock: () => number, at: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && clock() < at) await new Promise((r) => setTimeout(r, Math.min(500, Math.max(10, (at - clock()) * 1000))));
}

const notRun = (exp: Experiment, at: number, lane: Lane | undefined, reason: string): ExperimentResult => ({
  name: exp.name, description: exp.description, startedAt: at, endedAt: at, steadyStateBefore: [], steadyStateAfter: [], faults: [], status: "skipped", reason, ...(lane ? { lane } : {}),
});

async function runLane(queue: PlannedExperiment[], definitions: Experiment[], targets: ChaosTargets, o: ChaosPhaseOptions): Promise<ExperimentResult[]> {
  const results: ExperimentResult[] = [];
  for (const planned of queue) {
    await waitUntil(o.clock, planned.startAt, o.signal);
    if (o.signal.aborted) break;
    const exp = definitions.find((d) => d.name === planned.experiment);
    if (!exp) throw new Error(`scheduled experiment ${planned.experiment} has no definition`);
    const lane = planned.lane;
    if (o.campaign && o.clock() > o.campaign.lastStartAt) {
      // The lane ran late (slow recoveries): faults stay out of the quiet tail, and the report counts what did not run.
      results.push(notRun(exp, o.clock(), lane, `the ${lane ?? "main"} lane ran late: planned at ${planned.startAt} s, due at ${o.clock().toFixed(0)} s, after the last start allowed (${o.campaign.lastStartAt} s, before the quiet tail)`));
      continue;
    }
    o.log(`chaos: ${exp.name}${lane ? ` (${lane} lane)` : ""} starts at ${o.clock().toFixed(1)} s`);
    try {
      const mode = o.campaign ? { beforeWaitSeconds: o.campaign.beforeWaitSeconds, overlap: lane === "overlap" } : {};
      const r = await runExperiment(exp, targets, o, mode);
      o.log(`chaos: ${exp.name} ${r.status}${r.reason ? `: ${r.reason}` : ""}`);
      results.push(lane ? { ...r, lane } : r);
    } catch (err) {
      // The engine itself failed (its rollbacks ran in its own finally); the report says so and the run goes on.
      const at = o.clock();
      results.push({ name: exp.name, description: exp.description, startedAt: planned.startAt, endedAt: at, steadyStateBefore: [], steadyStateAfter: [], faults: [], status: "error", reason: err instanceof Error ? err.message : String(err), ...(lane ? { lane } : {}) });
    }
  }
  return results;
}

export async function runChaosSchedule(schedule: PlannedExperiment[], definitions: Experiment[], targets: ChaosTargets, o: ChaosPhaseOptions): Promise<ExperimentResult[]> {
  const sorted = [...schedule].sort((a, b) => a.startAt - b.startAt);
  const lanes = [sorted.filter((p) => p.lane !== "overlap"), sorted.filter((p) => p.lane === "overlap")].filter((l) => l.length > 0);
  const results = (await Promise.all(lanes.map((l) => runLane(l, definitions, targets, o)))).flat();
  return results.sort((a, b) => a.startedAt - b.startedAt);
}
