// The load step: k6 runs the profile's scenario while the chaos schedule runs alongside it and reads during the
// load note what was processed. Progress every 10 s; the ledger gives the chaos probes the client's error rate.
import * as path from "node:path";
import type { ChaosTargets } from "../chaos";
import type { ReadsDuringLoad } from "../integrity/check";
import { kneeRps, ledgerFigures } from "../integrity/figures";
import { LedgerTail, readLedger } from "../integrity/ledger";
import { say } from "../lib/progress";
import type { ExperimentResult, LoadResult } from "../reporting/model";
import type { Toolchain } from "../toolchain/setup";
import { runChaosSchedule } from "./chaos-phase";
import { runK6, thresholdResults } from "./k6";
import type { RunOptions } from "./options";
import { startReads } from "./reads";

export interface LoadPhase {
  load: LoadResult;
  experiments: ExperimentResult[];
  reads: ReadsDuringLoad;
}

export async function loadWithChaos(o: { toolchain: Toolchain; opts: RunOptions; targets: ChaosTargets; schedule: { experiment: string; startAt: number }[]; runId: string; reportDir: string; ledger: string; signal: AbortSignal }): Promise<LoadPhase> {
  const script = `${o.opts.profile}.js`;
  const tail = new LedgerTail(o.ledger);
  const loadStart = Date.now();
  const clock = () => (Date.now() - loadStart) / 1000;
  const reads = startReads(o.targets.containers.postgres, 5_000);
  const progress = setInterval(() => {
    tail.poll();
    say(`load: ${clock().toFixed(0)} s of ${o.opts.durationSeconds}, ${tail.total} requests, ${tail.acknowledged} acknowledged, ${(tail.errorRate(10) * 100).toFixed(1)} % errors in the last 10 s`);
  }, 10_000);
  // When k6 ends early (an error), the remaining experiments are called off; their rollbacks still run.
  const loadOver = new AbortController();
  try {
    const k6Run = runK6({
      k6: path.join(o.toolchain.binDir, "k6"),
      script,
      env: { BASE_URL: o.targets.gatewayUrl, KEY_PREFIX: o.runId, DURATION: `${o.opts.durationSeconds}s`, ...(o.opts.rate !== undefined ? { RATE: String(o.opts.rate) } : {}) },
      summaryFile: path.join(o.reportDir, "k6-summary.json"),
      ledgerFile: o.ledger,
      logName: `k6-${o.runId}`,
      signal: o.signal,
    }).then((r) => {
      if (![0, 99].includes(r.exitCode)) loadOver.abort();
      return r;
    });
    const chaosRun = runChaosSchedule(o.schedule, o.opts.definitions, o.targets, { signal: AbortSignal.any([o.signal, loadOver.signal]), clock, log: say, errorRate: (w) => tail.errorRate(w) });
    const [k6, experiments] = await Promise.all([k6Run, chaosRun]);
    const seconds = clock();
    const figures = ledgerFigures(await readLedger([o.ledger]).catch(() => []), loadStart);
    say(`k6: ${k6.outcome} (exit ${k6.exitCode}); log: ${k6.log}`);
    return {
      load: {
        profile: o.opts.profile,
        script: `loadtests/${script}`,
        durationSeconds: Math.round(seconds * 10) / 10,
        k6ExitCode: k6.exitCode,
        k6Outcome: k6.outcome,
        ...figures,
        achievedRps: Math.round((figures.requests / Math.max(1, o.opts.durationSeconds)) * 10) / 10,
        thresholds: thresholdResults(k6.summary),
        ...(o.opts.profile === "stress" ? { kneeRps: kneeRps(figures.timeline) } : {}),
      },
      experiments,
      reads: await reads.stop(),
    };
  } finally {
    clearInterval(progress);
    await reads.stop();
  }
}
