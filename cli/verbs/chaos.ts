// cp3 chaos: one experiment (built-in or from a JSON file) against a stack that is already up; the result is
// printed, and the exit code says how it went (0 passed, 1 failed, 2 usage or infrastructure, 130 interrupted).
import { builtInCampaigns, builtInExperiments, chaosTargetsFromOutputs, ExperimentError, findExperiment, loadExperimentFile, runExperiment, sweep, withDuration, type Experiment, type ExperimentResult } from "../../chaos";
import { EXIT, type ExitCode } from "../../lib/exit-codes";
import { onInterrupt } from "../../lib/interrupt";
import { say, step } from "../../lib/progress";
import { UsageError, type Parsed, type VerbSpec } from "../args";
import { checkStackName, openStack, stackOutputs } from "../../lifecycle/stacks";
import { ensureToolchain } from "./setup";

export const chaosSpec: VerbSpec = {
  name: "chaos",
  summary: "Run one chaos experiment against a stack that is up (steady state, faults, rollback, recovery); --list names the built-ins, --campaigns the built-in campaigns.",
  flags: {
    stack: { type: "string", placeholder: "S", description: "stack: ci, ci-<suffix>, k8s-ci-<suffix>, dev or staging" },
    experiment: { type: "string", placeholder: "NAME", description: "a built-in experiment (see --list)" },
    file: { type: "string", placeholder: "F", description: "an experiment in a JSON file (see chaos/examples), instead of --experiment" },
    duration: { type: "string", placeholder: "SECONDS", description: "hold every fault this long instead" },
    json: { type: "boolean", description: "print the result as JSON" },
    list: { type: "boolean", description: "print the built-in experiment names, one per line" },
    campaigns: { type: "boolean", description: "print the built-in campaigns (for cp3 run --campaign), one per line with what each does" },
    sweep: { type: "boolean", description: "remove whatever a dead chaos run left in the stack (tagged rules, qdiscs, toxics, files, processes)" },
  },
};

function chooseExperiment(v: Parsed["values"]): Experiment {
  const name = v.experiment;
  const file = v.file;
  if ((name === undefined) === (file === undefined)) throw new UsageError("chaos: give exactly one of --experiment NAME or --file F (or --list, or --sweep)");
  let exp: Experiment;
  try {
    exp = typeof file === "string" ? loadExperimentFile(file) : findExperiment(String(name));
    if (v.duration !== undefined) exp = withDuration(exp, Number(v.duration));
  } catch (err) {
    if (err instanceof ExperimentError) throw new UsageError(`chaos: ${err.message}`);
    throw err;
  }
  return exp;
}

function describe(r: ExperimentResult): string {
  const lines = [`experiment ${r.name}: ${r.status.toUpperCase()}${r.reason ? ` - ${r.reason}` : ""}`, `  ${r.description}`];
  const probes = (label: string, list: ExperimentResult["steadyStateBefore"]) => {
    for (const p of list) lines.push(`  ${label} ${p.passed ? "ok  " : "FAIL"} ${p.name}: ${p.observed} (tolerance ${p.tolerance})`);
  };
  probes("before", r.steadyStateBefore);
  for (const f of r.faults) {
    lines.push(`  fault ${f.kind} on ${f.targets.join(", ")} [${f.startedAt.toFixed(1)}-${f.endedAt.toFixed(1)} s]: ${f.status}, removed: ${f.removed ? "yes" : `NO (${f.leftover ?? "?"})`}`);
    lines.push(`    effect: ${f.effect}`);
  }
  probes("after ", r.steadyStateAfter);
  if (r.recoverySeconds !== undefined) lines.push(`  recovered ${r.recoverySeconds} s after the last fault ended`);
  return `${lines.join("\n")}\n`;
}

const EXIT_FOR: Record<ExperimentResult["status"], ExitCode> = { passed: EXIT.ok, failed: EXIT.verdict, skipped: EXIT.usage, error: EXIT.usage };

export async function runChaos(parsed: Parsed): Promise<number> {
  const v = parsed.values;
  if (v.list) {
    process.stdout.write(builtInExperiments().map((e) => `${e.name}\n`).join(""));
    return EXIT.ok;
  }
  if (v.campaigns) {
    process.stdout.write(builtInCampaigns().map((c) => `${c.name}: ${c.description}\n`).join(""));
    return EXIT.ok;
  }
  if (typeof v.stack !== "string") throw new UsageError(`chaos: --stack is required (${chaosSpec.flags.stack!.description})`);
  checkStackName(v.stack);
  const exp = v.sweep ? undefined : chooseExperiment(v);
  const toolchain = await ensureToolchain();
  const stack = await step(`open stack ${v.stack}`, () => openStack(String(v.stack), toolchain, { create: false }));
  const targets = chaosTargetsFromOutputs(await stackOutputs(stack, false));
  if (!exp) {
    const found = await step(`sweep ${v.stack}`, () => sweep(targets));
    process.stdout.write(found.length === 0 ? "nothing left behind\n" : `${found.join("\n")}\n`);
    return EXIT.ok;
  }
  const interrupt = onInterrupt(say);
  const t0 = Date.now();
  try {
    const result = await runExperiment(exp, targets, { signal: interrupt.signal, clock: () => Number(((Date.now() - t0) / 1000).toFixed(1)), log: say });
    process.stdout.write(v.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
    return interrupt.received() ? EXIT.interrupted : EXIT_FOR[result.status];
  } finally {
    interrupt.dispose();
  }
}
