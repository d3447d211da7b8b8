// `cp3 run` (and the main job, `npm run cp3` with no verb): the whole CP3 run on one stack.
import type { Parsed, VerbSpec } from "../args";
import { parseRunOptions, PROFILES } from "../../pipeline/options";
import { runCp3 } from "../../pipeline/run";
import { ensureToolchain } from "./setup";

const runFlags: VerbSpec["flags"] = {
  stack: { type: "string", placeholder: "S", description: "stack to run on (default: a fresh ci-<run-id>); destroyed at the end either way" },
  profile: { type: "string", placeholder: "P", description: `load profile: ${PROFILES.join(", ")} (default smoke)` },
  duration: { type: "string", placeholder: "D", description: "how long the load runs: 90s, 10m, 24h... (default: smoke 60s, load 5m, stress 3m, soak 1h)" },
  rate: { type: "string", placeholder: "N", description: "requests per second, the top rate for stress (default: smoke 50, load 300, stress 1200, soak 100)" },
  experiments: { type: "string", placeholder: "A,B", description: "chaos experiments alongside the load: built-in names (cp3 chaos --list) or JSON files, or none (default: worker-kill,nats-restart)" },
  seed: { type: "string", placeholder: "N", description: "seed of the chaos schedule; the same seed replays the same schedule (default: random, printed)" },
  keep: { type: "boolean", description: "keep the stack when the verdict is not ready, for debugging (remove it with cp3 destroy)" },
  "report-dir": { type: "string", placeholder: "DIR", description: "where report/<run-id>/ goes (default: report)" },
};

const exits = "Exit 0 ready, 1 verdict failed (a threshold, a steady state or an invariant), 2 infrastructure or usage error, 130 interrupted.";

export const runSpec: VerbSpec = {
  name: "run",
  summary: `The CP3 run: up a stack, health gate, seed data, k6 load with chaos experiments alongside, drain, integrity check, destroy, report (JSON, JUnit, HTML) in report/<run-id>/. ${exits}`,
  flags: runFlags,
};

export const mainJobSpec: VerbSpec = {
  name: "",
  summary: `the main job: \`cp3 run\` with its defaults (smoke profile, default experiments, a fresh ci stack). ${exits}`,
  flags: runFlags,
};

export async function runRun(parsed: Parsed): Promise<number> {
  // Flags first: a mistake is reported before anything is installed or created.
  const options = parseRunOptions(parsed.values);
  return runCp3(await ensureToolchain(), options);
}
