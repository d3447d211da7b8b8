// The CP3 run: sweep orphans, open and up the stack, health gate, seed, load with the chaos schedule alongside,
// drain, integrity check, destroy, report. The destroy sits in `finally`, so errors and SIGINT/SIGTERM (which
// cancel the running step first) still reach it; the report is written whatever happened, saying how far the
// run got.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { chaosTargetsFromOutputs } from "../chaos";
import { claimStack } from "../lifecycle/owners";
import { destroyAlways, openStack, upStack } from "../lifecycle/stacks";
import { sweepOrphans } from "../lifecycle/sweep";
import { ensureKubernetes, platformOf } from "../lifecycle/kubernetes";
import { checkIntegrity } from "../integrity/check";
import { askOracle, finalReadFrom } from "../integrity/oracle";
import { readLedger } from "../integrity/ledger";
import * as docker from "../lib/docker-api";
import { onInterrupt } from "../lib/interrupt";
import { projectRoot } from "../lib/paths";
import { say, step, StepError } from "../lib/progress";
import { newRunId } from "../lib/run-id";
import type { RunReport } from "../reporting/model";
import { writeReport } from "../reporting/write";
import { versions } from "../toolchain/tools";
import type { Toolchain } from "../toolchain/setup";
import type { LoadEngine } from "../load/engine";
import { healthGate } from "./health";
import { loadWithChaos } from "./load";
import type { RunOptions } from "./options";
import { seedRecords, waitDrained } from "./seed";
import { systemFromOutputs } from "./system";
import { applyStackSettings } from "./stack-settings";
import { decideVerdict, exitCodeFor } from "./verdict";

/** Experiments whose faults a tmpfs PostgreSQL cannot survive: the run gives the stack a volume instead. */
const NEEDS_DURABLE_POSTGRES = new Set(["postgres-restart"]);
const SEED_RECORDS = 100;
const DRAIN_SECONDS = 120;

function toolVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tool, v] of Object.entries(versions)) if (typeof v === "object" && v && "version" in v) out[tool] = String((v as { version: unknown }).version);
  return out;
}

export async function runCp3(toolchain: Toolchain, opts: RunOptions, engine: LoadEngine): Promise<number> {
  const runId = newRunId();
  const stackName = opts.stack ?? `ci-${runId}`;
  const reportDir = path.resolve(projectRoot, opts.reportDir, runId);
  fs.mkdirSync(reportDir, { recursive: true });
  const started = new Date();
  const schedule = opts.schedule;
  const report: RunReport = {
    runId,
    stack: stackName,
    verdict: "error",
    reasons: [],
    startedAt: started.toISOString(),
    finishedAt: "",
    wallSeconds: 0,
    seed: opts.seed,
    profile: opts.profile,
    schedule,
    experiments: [],
    versions: { ...toolVersions(), [`load engine (${engine.info.name})`]: engine.info.version },
    steps: [],
  };
  say(`run ${runId}: stack ${stackName}, profile ${opts.profile} for ${opts.durationSeconds} s, seed ${opts.seed}, experiments ${opts.experiments.join(", ") || "none"}`);
  say(`schedule: ${schedule.map((s) => `${s.experiment} at ${s.startAt} s`).join(", ") || "no chaos"}`);

  const interrupt = onInterrupt(say);
  const signal = interrupt.signal;
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      const result = await step(name, work);
      report.steps.push({ name, seconds: (Date.now() - t0) / 1000, ok: true });
      return result;
    } catch (err) {
      report.steps.push({ name, seconds: (Date.now() - t0) / 1000, ok: false });
      throw err;
    }
  };

  let stack: Stack | undefined;
  let failure: unknown;
  let pendingAfterDrain: number | undefined;
  let integrityUnchecked: string | undefined;
  try {
    report.versions["docker engine"] = (await docker.version()).Version;
    // What earlier runs left is removed first; a sweep that fails is reported and the run goes on.
    await timed("sweep orphans", () => sweepOrphans(toolchain, { dryRun: false, log: say }).catch((err: unknown) => say(`sweep failed, the run goes on: ${describe(err)}`)));
    stack = await timed(`open stack ${stackName}`, () => openStack(stackName, toolchain));
    await applyStackSettings(stack, opts.settings);
    if ((await platformOf(stack)) === "kubernetes") await timed("kubernetes cluster", () => ensureKubernetes());
    if (opts.experiments.some((e) => NEEDS_DURABLE_POSTGRES.has(e))) {
      say("postgres-restart chosen: PostgreSQL gets a volume (a tmpfs store would be wiped by the restart)");
      await stack.setConfig("cp3:postgres.storage", { value: "volume" }, true);
    }
    const opened = stack;
    const { outputs } = await timed(`up ${stackName}`, () => upStack(opened, signal));
    const system = systemFromOutputs(outputs);
    report.system = system.name;
    await timed("health gate", () => healthGate(outputs, system, signal));
    const targets = chaosTargetsFromOutputs(outputs);
    const seedLedger = path.join(reportDir, "seed-ledger.jsonl");
    await timed("seed data", () => seedRecords({ system, prefix: runId, count: SEED_RECORDS, ledgerFile: seedLedger, signal }));
    const ledger = path.join(reportDir, "ledger.jsonl");
    const phase = await timed(`load (${opts.profile}) with chaos`, () => loadWithChaos({ engine, opts, system, targets, schedule, runId, reportDir, ledger, signal }));
    report.load = phase.load;
    report.experiments = phase.experiments;
    pendingAfterDrain = await timed("drain", () => waitDrained(system, DRAIN_SECONDS * 1000, signal));
    if (system.oracle) {
      const oracle = system.oracle;
      report.integrity = await timed("integrity check", async () => checkIntegrity(await readLedger([seedLedger, ledger]), finalReadFrom(await askOracle(oracle, system.exec, system.postgres, system.containers)), phase.reads));
    } else {
      integrityUnchecked = `integrity not checked: the system description of ${system.name} has no oracle`;
      say(integrityUnchecked);
    }
  } catch (err) {
    failure = err;
  } finally {
    interrupt.dispose();
    const { verdict, reasons } = decideVerdict(report, {
      interrupted: interrupt.received() !== undefined,
      infrastructureError: failure === undefined ? undefined : describe(failure),
      pendingAfterDrain,
      integrityUnchecked,
    });
    report.verdict = verdict;
    report.reasons = reasons;
    if (stack && opts.keep && verdict !== "ready") {
      claimStack(stackName, "kept");
      say(`kept stack ${stackName} for debugging; remove it with: npm run cp3 -- destroy --stack ${stackName}`);
    } else if (stack) {
      const opened = stack;
      await timed(`destroy ${stackName}`, () => destroyAlways(opened)).catch((err: unknown) => {
        // What remains and how to remove it is in the message; the verdict becomes an error.
        report.verdict = "error";
        report.reasons.push(describe(err));
      });
    }
    report.finishedAt = new Date().toISOString();
    report.wallSeconds = Math.round((Date.now() - started.getTime()) / 100) / 10;
    const files = await writeReport(reportDir, report).catch((err: unknown) => {
      say(`could not write the report in ${reportDir}: ${describe(err)}`);
      return undefined;
    });
    printVerdict(report, files?.html ?? reportDir);
  }
  return exitCodeFor(report.verdict);
}

function describe(err: unknown): string {
  if (err instanceof StepError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

function printVerdict(r: RunReport, where: string): void {
  const lines = [`verdict: ${r.verdict.toUpperCase()} (run ${r.runId}, ${r.wallSeconds} s)`];
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  if (r.integrity) {
    const i = r.integrity;
    lines.push(`integrity: ${i.attempted} attempted, ${i.acknowledged} acknowledged, ${i.processed} processed; lost ${i.lost.length}, duplicates ${i.duplicates.length}, unexpected ${i.unexpected.length}, unknown ${i.unknown.length}`);
  }
  for (const e of r.experiments) lines.push(`experiment ${e.name}: ${e.status}${e.recoverySeconds !== undefined ? `, recovered in ${e.recoverySeconds} s` : ""}${e.reason ? ` (${e.reason})` : ""}`);
  lines.push(`report: ${where}`);
  process.stdout.write(lines.join("\n") + "\n");
}
