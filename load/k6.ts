// k6 as the user's own external tool: a `k6` >= 1.0 they installed (found on PATH or given with --k6). Nothing
// here builds, downloads or ships k6 (it is AGPL-3.0). The scenario scripts in loadtests/ read the same plan as
// loadgen; the k6 options (scenario, thresholds) are translated from the plan here, so the translation is
// tested without k6. k6's exit code is told apart (99: a threshold failed, 107: the script threw, 105/108:
// aborted) rather than read as pass/fail; its own thresholds are shown beside the ledger's, which decide.
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../lib/paths";
import { runEngineProcess, writePlan, type EngineRun, type EngineRunOptions, type LoadEngine } from "./engine";
import type { LoadPlan } from "./plan";
import type { EngineInfo, ThresholdResult } from "./types";

const K6_OUTCOMES: Record<number, { outcome: string; status: EngineRun["status"] }> = {
  0: { outcome: "passed", status: "completed" },
  99: { outcome: "a threshold failed", status: "completed" },
  100: { outcome: "setup() timed out", status: "error" },
  101: { outcome: "teardown() timed out", status: "error" },
  102: { outcome: "timed out", status: "error" },
  103: { outcome: "engine error", status: "error" },
  104: { outcome: "invalid configuration", status: "error" },
  105: { outcome: "aborted from outside (signal)", status: "interrupted" },
  107: { outcome: "the script threw an exception", status: "error" },
  108: { outcome: "aborted by the script (setup health gate or test.abort)", status: "error" },
  109: { outcome: "k6 itself crashed", status: "error" },
};

export const k6Outcome = (code: number) => K6_OUTCOMES[code] ?? { outcome: `unknown exit code ${code}`, status: "error" as const };

/** Enough VUs that k6 never drops iterations on its own: one per 100 ms of budget, room for a second. */
const vus = (rate: number) => ({ preAllocatedVUs: Math.max(10, Math.ceil(rate / 10)), maxVUs: Math.max(50, rate) });

/** The plan in k6's terms: one scenario (constant or ramping arrival rate) and the SLO as thresholds. */
export function k6Options(plan: LoadPlan, scenario: string): Record<string, unknown> {
  const top = Math.max(plan.startRate, ...plan.stages.map((s) => s.target));
  const only = plan.stages.length === 1 ? plan.stages[0]! : undefined;
  const executor =
    only && only.target === plan.startRate
      ? { executor: "constant-arrival-rate", rate: only.target, timeUnit: "1s", duration: `${only.seconds}s`, ...vus(top) }
      : { executor: "ramping-arrival-rate", startRate: plan.startRate, timeUnit: "1s", stages: plan.stages.map((s) => ({ target: s.target, duration: `${s.seconds}s` })), ...vus(top) };
  const { p95Ms, p99Ms, maxFailedRate } = plan.slo;
  return {
    scenarios: { [scenario]: executor },
    // Every threshold names a metric the script feeds: one without samples is not evaluated (k6 #1346).
    thresholds: {
      http_req_failed: [maxFailedRate === 0 ? "rate==0" : `rate<=${maxFailedRate}`],
      "http_req_duration{expected_response:true}": [`p(95)<${p95Ms}`, `p(99)<${p99Ms}`],
      checks: [maxFailedRate === 0 ? "rate==1" : `rate>=${1 - maxFailedRate}`],
    },
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
    // The ledger is written through the console; nothing else may log there.
    discardResponseBodies: true,
  };
}

interface K6Summary {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

/** Every threshold k6 evaluated, with the value it was checked against where the summary has one. */
export function k6Thresholds(summary: K6Summary | undefined): ThresholdResult[] {
  if (!summary) return [];
  const results: ThresholdResult[] = [];
  for (const [metric, m] of Object.entries(summary.metrics)) {
    for (const [condition, t] of Object.entries(m.thresholds ?? {})) {
      const stat = /^(p\(\d+(?:\.\d+)?\)|rate|avg|med|min|max|count)/.exec(condition)?.[1];
      const observed = stat ? m.values[stat] : undefined;
      results.push({ name: metric, condition, passed: t.ok, ...(observed !== undefined ? { observed, detail: `k6 observed ${stat} = ${observed}` } : {}) });
    }
  }
  return results;
}

export class K6 implements LoadEngine {
  readonly info: EngineInfo;

  constructor(binary: string, version: string) {
    this.info = { name: "k6", version, path: binary };
  }

  async run(o: EngineRunOptions): Promise<EngineRun> {
    writePlan(o.plan, o.planFile);
    const optionsFile = o.planFile.replace(/(\.json)?$/, ".k6-options.json");
    fs.writeFileSync(optionsFile, JSON.stringify(k6Options(o.plan, o.scenario), null, 2) + "\n");
    fs.rmSync(o.summaryFile, { force: true });
    const script = path.join("loadtests", `${o.scenario}.js`);
    const args = ["run", "--quiet", "--no-usage-report", "--log-format", "raw", "--console-output", o.ledgerFile ?? "/dev/null", path.join(projectRoot, script)];
    const env = { ...process.env, ...o.env, CP3_PLAN: o.planFile, CP3_K6_OPTIONS: optionsFile, SUMMARY_FILE: o.summaryFile, K6_NO_USAGE_REPORT: "true", ...(o.ledgerFile ? {} : { LEDGER: "off" }) };
    const { exitCode, log } = await runEngineProcess(this.info.path, args, { logName: o.logName, env, signal: o.signal });
    let summary: K6Summary | undefined;
    try {
      summary = JSON.parse(fs.readFileSync(o.summaryFile, "utf8")) as K6Summary;
    } catch {
      summary = undefined;
    }
    return { exitCode, ...k6Outcome(exitCode), log, script, engineThresholds: k6Thresholds(summary) };
  }
}
