// The load step: the engine carries out the plan while the chaos schedule runs alongside it and reads during the
// load note what was processed. Progress every 10 s; the ledger gives the chaos probes the client's error rate.
// Every figure and the SLO verdict come from the ledger, the same code whichever engine sent the requests.
import * as path from "node:path";
import type { ChaosTargets } from "../chaos";
import type { ReadsDuringLoad } from "../integrity/check";
import { forEachLedgerEntry, LedgerTail } from "../integrity/ledger";
import { say } from "../lib/progress";
import type { LoadEngine } from "../load/engine";
import { FigureBuilder, kneeRps } from "../load/figures";
import { planFor } from "../load/plan";
import type { LoadResult } from "../load/types";
import type { ExperimentResult } from "../reporting/model";
import { runChaosSchedule } from "./chaos-phase";
import type { RunOptions } from "./options";
import { startReads } from "./reads";
import { startMemoryWatch, type ContainerMemory } from "../load/memory";
import { startTransportWatch, type TransportSecurity } from "../security/transport";
import type { SystemUnderTest } from "./system";

export interface LoadPhase {
  load: LoadResult;
  experiments: ExperimentResult[];
  reads: ReadsDuringLoad;
  /** Each container's memory over the load (soak and campaign runs). */
  memory?: ContainerMemory[];
  /** NATS's TLS requirement and PostgreSQL's sessions over the load. */
  transport?: TransportSecurity;
}

/** Soak and campaign runs watch memory; the interval grows with the load so a 24 h soak keeps about 1,500 samples. */
export const watchesMemory = (opts: Pick<RunOptions, "profile" | "campaign">) => opts.profile === "soak" || opts.campaign !== undefined;
export const memoryIntervalSeconds = (loadSeconds: number) => Math.max(5, Math.ceil(loadSeconds / 1500));

export async function loadWithChaos(o: { engine: LoadEngine; opts: RunOptions; system: SystemUnderTest; targets: ChaosTargets; tls: boolean; traceSampleEvery?: number; stack: string; runId: string; reportDir: string; ledger: string; signal: AbortSignal }): Promise<LoadPhase> {
  const drive = o.system.drive;
  const campaign = o.opts.campaign;
  const profilePlan = planFor({ profile: o.opts.profile, rate: o.opts.rate, durationSeconds: o.opts.durationSeconds, baseUrl: o.system.entryUrl, keyPrefix: o.runId, request: drive.request });
  // A campaign's own gates replace the profile's: tens of restarts cost latency and some 503s, never a record.
  const plan = { ...profilePlan, healthPath: drive.healthPath, timeoutSeconds: drive.timeoutSeconds, ...(campaign?.slo ? { slo: campaign.slo } : {}), ...(o.traceSampleEvery ? { traceSampleEvery: o.traceSampleEvery } : {}) };
  const tail = new LedgerTail(o.ledger);
  const loadStart = Date.now();
  const clock = () => (Date.now() - loadStart) / 1000;
  const reads = startReads(o.system, 5_000);
  const memory = watchesMemory(o.opts) && o.targets.platform === "docker" ? startMemoryWatch({ stack: o.stack, clock, intervalMs: memoryIntervalSeconds(o.opts.durationSeconds) * 1000 }) : undefined;
  const transport = startTransportWatch({ tls: o.tls, exec: o.system.exec, nats: o.targets.containers.nats, postgres: o.targets.containers.postgres });
  const progress = setInterval(() => {
    tail.poll();
    say(`load: ${clock().toFixed(0)} s of ${o.opts.durationSeconds}, ${tail.total} requests, ${tail.acknowledged} acknowledged, ${(tail.errorRate(10) * 100).toFixed(1)} % errors in the last 10 s`);
  }, 10_000);
  // When the engine ends early (an error), the remaining experiments are called off; their rollbacks still run.
  const loadOver = new AbortController();
  try {
    say(`load: ${o.engine.info.name} ${o.engine.info.version} (${o.engine.info.path})`);
    const engineRun = o.engine
      .run({ plan, scenario: o.opts.profile, planFile: path.join(o.reportDir, "plan.json"), summaryFile: path.join(o.reportDir, `${o.engine.info.name}-summary.json`), ledgerFile: o.ledger, logName: `${o.engine.info.name}-${o.runId}`, signal: o.signal })
      .then((r) => {
        if (r.status !== "completed") loadOver.abort();
        return r;
      });
    const lastStartAt = campaign ? o.opts.durationSeconds - campaign.quietTailSeconds : Infinity;
    const chaosRun = runChaosSchedule(o.opts.schedule, o.opts.definitions, o.targets, {
      signal: AbortSignal.any([o.signal, loadOver.signal]), clock, log: say, errorRate: (w) => tail.errorRate(w),
      ...(campaign ? { campaign: { beforeWaitSeconds: campaign.beforeWaitSeconds, lastStartAt } } : {}),
    });
    const [run, experiments] = await Promise.all([engineRun, chaosRun]);
    const seconds = clock();
    const figures = new FigureBuilder(loadStart, plan);
    await forEachLedgerEntry([o.ledger], (e) => figures.add(e)).catch((err: unknown) => say(`ledger ${o.ledger} could not be read whole: ${err instanceof Error ? err.message : String(err)}`));
    const counts = figures.figures();
    say(`${o.engine.info.name}: ${run.outcome} (exit ${run.exitCode}); log: ${run.log}`);
    return {
      load: {
        profile: o.opts.profile,
        engine: o.engine.info,
        startedAtMs: loadStart,
        engineExitCode: run.exitCode,
        engineOutcome: run.outcome,
        engineStatus: run.status,
        ...(run.script ? { script: run.script } : {}),
        plan: { startRate: plan.startRate, stages: [...plan.stages], timeoutSeconds: plan.timeoutSeconds, slo: plan.slo },
        durationSeconds: Math.round(seconds * 10) / 10,
        ...counts,
        achievedRps: Math.round((counts.requests / Math.max(1, o.opts.durationSeconds)) * 10) / 10,
        thresholds: figures.thresholds(),
        ...(run.engineThresholds ? { engineThresholds: run.engineThresholds } : {}),
        scheduleKept: figures.scheduleKept(plan),
        ...(run.lagMs ? { lagMs: run.lagMs } : {}),
        ...(o.opts.profile === "stress" ? { kneeRps: kneeRps(counts.timeline) } : {}),
      },
      experiments,
      reads: await reads.stop(),
      ...(memory ? { memory: await memory.stop() } : {}),
      transport: await transport.stop(),
    };
  } finally {
    clearInterval(progress);
    await reads.stop();
    await memory?.stop();
    await transport.stop();
  }
}
