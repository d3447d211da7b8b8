// The CP3 run: sweep orphans, open and up the stack, prove it (pipeline/prove.ts: health gate, seed, load with the
// chaos schedule alongside, drain, integrity check), destroy, report. The destroy sits in `finally`, so errors and
// SIGINT/SIGTERM (which cancel the running step first) still reach it; the report is written whatever happened,
// saying how far the run got.
import type { Stack } from "@pulumi/pulumi/automation";
import { claimStack } from "../lifecycle/owners";
import { destroyAlways, openStack, upStack } from "../lifecycle/stacks";
import { sweepOrphans } from "../lifecycle/sweep";
import { ensureKubernetes, platformOf } from "../lifecycle/kubernetes";
import { onInterrupt } from "../lib/interrupt";
import { say } from "../lib/progress";
import { newRunId } from "../lib/run-id";
import type { Toolchain } from "../toolchain/setup";
import type { LoadEngine } from "../load/engine";
import type { RunOptions } from "./options";
import { closeProof, describeError, judge, proveDeployed, startProof, type Findings } from "./prove";
import { applyStackSettings } from "./stack-settings";
import { exitCodeFor } from "./verdict";

/** Experiments whose faults a tmpfs PostgreSQL cannot survive: the run gives the stack a volume instead. */
const NEEDS_DURABLE_POSTGRES = new Set(["postgres-restart"]);

export async function runCp3(toolchain: Toolchain, opts: RunOptions, engine: LoadEngine): Promise<number> {
  const runId = newRunId();
  const stackName = opts.stack ?? `ci-${runId}`;
  const proof = startProof(runId, stackName, opts, engine);
  const { report, timed } = proof;
  const interrupt = onInterrupt(say);
  const signal = interrupt.signal;

  let stack: Stack | undefined;
  let failure: unknown;
  const findings: Findings = { strictScan: opts.strictScan };
  try {
    // What earlier runs left is removed first; a sweep that fails is reported and the run goes on.
    await timed("sweep orphans", () => sweepOrphans(toolchain, { dryRun: false, log: say }).catch((err: unknown) => say(`sweep failed, the run goes on: ${describeError(err)}`)));
    stack = await timed(`open stack ${stackName}`, () => openStack(stackName, toolchain));
    await applyStackSettings(stack, opts.settings);
    if ((await platformOf(stack)) === "kubernetes") await timed("kubernetes cluster", () => ensureKubernetes());
    if (opts.experiments.some((e) => NEEDS_DURABLE_POSTGRES.has(e))) {
      say("postgres-restart chosen: PostgreSQL gets a volume (a tmpfs store would be wiped by the restart)");
      await stack.setConfig("cp3:postgres.storage", { value: "volume" }, true);
    }
    if (opts.campaign?.natsReplicas === 3) {
      say(`campaign ${opts.campaign.name}: NATS runs as a 3-node JetStream cluster (nats.replicas 3)`);
      await stack.setConfig("cp3:nats.replicas", { value: "3" }, true);
    }
    const opened = stack;
    const { outputs } = await timed(`up ${stackName}`, () => upStack(opened, signal));
    await proveDeployed(proof, outputs, opts, engine, signal, findings);
  } catch (err) {
    failure = err;
  } finally {
    interrupt.dispose();
    judge(proof, findings, { interrupted: interrupt.received() !== undefined, failure });
    if (stack && opts.keep && report.verdict !== "ready") {
      claimStack(stackName, "kept");
      say(`kept stack ${stackName} for debugging; remove it with: npm run cp3 -- destroy --stack ${stackName}`);
    } else if (stack) {
      const opened = stack;
      await timed(`destroy ${stackName}`, () => destroyAlways(opened)).catch((err: unknown) => {
        // What remains and how to remove it is in the message; the verdict becomes an error.
        report.verdict = "error";
        report.reasons.push(describeError(err));
      });
    }
    await closeProof(proof);
  }
  return exitCodeFor(report.verdict);
}
