// `cp3 run` (and the main job, `npm run cp3` with no verb): the whole CP3 run on one stack.
import type { Parsed, VerbSpec } from "../args";
import { describeExitCodes } from "../../lib/exit-codes";
import { findK6 } from "../../load/select";
import { parseRunOptions, PROFILES } from "../../pipeline/options";
import { runCp3 } from "../../pipeline/run";
import { ensureToolchain } from "./setup";
import { loadgenFrom } from "../../load/loadgen";
import { stackSettingFlags } from "../../pipeline/stack-settings";

const runFlags: VerbSpec["flags"] = {
  stack: { type: "string", placeholder: "S", description: "stack to run on (default: a fresh ci-<run-id>; k8s-ci-<suffix> runs on the local Kubernetes cluster); destroyed at the end either way" },
  profile: { type: "string", placeholder: "P", description: `load profile: ${PROFILES.join(", ")} (default smoke)` },
  duration: { type: "string", placeholder: "D", description: "how long the load runs: 90s, 10m, 24h... (default: smoke 60s, load 5m, stress 3m, soak 1h)" },
  rate: { type: "string", placeholder: "N", description: "requests per second, the top rate for stress (default: smoke 50, load 300, stress 1200, soak 100)" },
  experiments: { type: "string", placeholder: "A,B", description: "chaos experiments alongside the load: built-in names (cp3 chaos --list) or JSON files, or none (default: worker-kill,nats-restart)" },
  campaign: { type: "string", placeholder: "NAME|F", description: "a fault campaign instead of --experiments: crash-storm, network, everything, nats-cluster, or a JSON file (see chaos/examples); best with --profile soak and a --duration of 30m or more" },
  seed: { type: "string", placeholder: "N", description: "seed of the chaos schedule; the same seed replays the same schedule (default: random, printed)" },
  "max-rss-growth": { type: "string", placeholder: "PCT", description: "soak and campaign runs: the verdict fails when a container's memory (RSS) grows more than this % after the warm-up (default 10)" },
  "strict-scan": { type: "boolean", description: "the verdict fails on a pending Debian security update or an image check finding in the stack's images (default: reported only)" },
  keep: { type: "boolean", description: "keep the stack when the verdict is not ready, for debugging (remove it with cp3 destroy)" },
  "report-dir": { type: "string", placeholder: "DIR", description: "where report/<run-id>/ goes (default: report)" },
  engine: { type: "string", placeholder: "E", description: "load engine: loadgen (ours, on vegeta's library; the default) or k6 (your own install, >= 1.0); also CP3_LOAD_ENGINE" },
  ...stackSettingFlags,
  k6: { type: "string", placeholder: "PATH", description: "with --engine k6: the k6 binary (default: the first k6 on PATH)" },
};

const exits = `Exit ${describeExitCodes({ ok: "ready", verdict: "verdict failed (a threshold, a steady state or an invariant)" })}.`;

export const runSpec: VerbSpec = {
  name: "run",
  summary: `The CP3 run: up a stack, health gate, seed data, load (loadgen or your k6) with chaos experiments alongside, drain, integrity check, destroy, report (JSON, JUnit, HTML) in report/<run-id>/. ${exits}`,
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
  const k6 = options.engine === "k6" ? await findK6(options.k6) : undefined;
  const toolchain = await ensureToolchain();
  return runCp3(toolchain, options, k6 ?? loadgenFrom(toolchain));
}
