// `cp3 verify`: prove a stack that is already up (health gate, seed, load with chaos, drain, integrity, report),
// creating and destroying nothing. The Testbed's verification hook runs it inside `pulumi up` (--outputs-file).
import * as fs from "node:fs";
import type { Parsed, VerbSpec } from "../args";
import { describeExitCodes, EXIT } from "../../lib/exit-codes";
import { UsageError } from "../../lib/usage-error";
import { findK6 } from "../../load/select";
import { loadgenFrom } from "../../load/loadgen";
import { openStack, stackOutputs } from "../../lifecycle/stacks";
import { parseRunOptions } from "../../pipeline/options";
import { verifyDeployed } from "../../pipeline/verify";
import { runSpec } from "./run";
import { ensureToolchain } from "./setup";

const { stack, profile, duration, rate, experiments, seed, engine, k6 } = runSpec.flags;

export const verifySpec: VerbSpec = {
  name: "verify",
  summary: `Prove a stack that is already up: health gate, seed, load with chaos, drain, integrity check, report; nothing is created or destroyed. Exit ${describeExitCodes({ ok: "ready", verdict: "verdict failed" })}.`,
  flags: {
    stack: { ...stack!, description: "the stack to prove (up already): ci, ci-<suffix>, k8s-ci-<suffix>, dev or staging" },
    "outputs-file": { type: "string", placeholder: "F", description: "read the stack's outputs from this JSON file instead of its state (what the verification hook inside pulumi up does)" },
    profile: profile!,
    duration: duration!,
    rate: rate!,
    experiments: experiments!,
    campaign: runSpec.flags.campaign!,
    seed: seed!,
    "max-rss-growth": runSpec.flags["max-rss-growth"]!,
    "strict-scan": runSpec.flags["strict-scan"]!,
    "report-dir": runSpec.flags["report-dir"]!,
    engine: engine!,
    k6: k6!,
    check: { type: "boolean", description: "only check the flags and exit (0 when they are valid)" },
  },
  required: ["stack"],
};

export async function runVerify(parsed: Parsed): Promise<number> {
  const options = parseRunOptions(parsed.values);
  const name = options.stack!;
  const file = parsed.values["outputs-file"];
  if (typeof file === "string" && !fs.existsSync(file)) throw new UsageError(`--outputs-file: got "${file}"; allowed: an existing JSON file of the stack's outputs`);
  if (parsed.values.check === true) return EXIT.ok;
  const k6Binary = options.engine === "k6" ? await findK6(options.k6) : undefined;
  const toolchain = await ensureToolchain();
  let outputs: Record<string, unknown>;
  if (typeof file === "string") {
    outputs = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } else {
    outputs = await stackOutputs(await openStack(name, toolchain, { create: false }), true);
  }
  return verifyDeployed(name, outputs, options, k6Binary ?? loadgenFrom(toolchain));
}
