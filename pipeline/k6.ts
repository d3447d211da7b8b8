// Running one k6 scenario and reading what it decided. k6's exit code is told apart (99: a threshold failed,
// 107: the script threw, 105/108: aborted) rather than read as pass/fail, because a threshold can pass when the
// script throws (k6 #4283): a run only passes with exit 0 AND every threshold reported as passed.
import * as fs from "node:fs";
import * as path from "node:path";
import { logFile, projectRoot } from "../lib/paths";
import { spawn } from "node:child_process";
import type { ThresholdResult } from "../reporting/model";

const K6_OUTCOMES: Record<number, string> = {
  0: "passed",
  99: "a threshold failed",
  100: "setup() timed out",
  101: "teardown() timed out",
  102: "timed out",
  103: "engine error",
  104: "invalid configuration",
  105: "aborted from outside (signal)",
  107: "the script threw an exception",
  108: "aborted by the script (setup health gate or test.abort)",
  109: "k6 itself crashed",
};

export const k6Outcome = (code: number): string => K6_OUTCOMES[code] ?? `unknown exit code ${code}`;

export interface K6Metric {
  type?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6Summary {
  metrics: Record<string, K6Metric>;
}

export interface K6Result {
  exitCode: number;
  outcome: string;
  summary: K6Summary | undefined;
  /** k6's own output (progress, errors). */
  log: string;
}

export interface K6Options {
  k6: string;
  /** Scenario file name under loadtests/, e.g. "smoke.js". */
  script: string;
  env: Record<string, string>;
  summaryFile: string;
  /** Where the ledger (one JSON line per request) goes; without one the script writes none (LEDGER=off). */
  ledgerFile?: string;
  logName: string;
  signal?: AbortSignal;
}

export function runK6(o: K6Options): Promise<K6Result> {
  fs.rmSync(o.summaryFile, { force: true });
  const log = logFile(o.logName);
  const out = fs.openSync(log, "w");
  const args = ["run", "--quiet", "--no-usage-report", "--log-format", "raw", "--console-output", o.ledgerFile ?? "/dev/null", path.join(projectRoot, "loadtests", o.script)];
  return new Promise((resolve, reject) => {
    // SIGTERM on abort: k6 stops the test, still runs handleSummary, and exits 105.
    const child = spawn(o.k6, args, { env: { ...process.env, ...o.env, ...(o.ledgerFile ? {} : { LEDGER: "off" }), SUMMARY_FILE: o.summaryFile, K6_NO_USAGE_REPORT: "true" }, stdio: ["ignore", out, out] });
    const onAbort = () => child.kill("SIGTERM");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      fs.closeSync(out);
      reject(new Error(`could not start k6 (${o.k6}): ${err.message}`));
    });
    child.on("close", (code, signal) => {
      o.signal?.removeEventListener("abort", onAbort);
      fs.closeSync(out);
      const exitCode = code ?? (signal === "SIGKILL" ? 137 : 143);
      let summary: K6Summary | undefined;
      try {
        summary = JSON.parse(fs.readFileSync(o.summaryFile, "utf8")) as K6Summary;
      } catch {
        summary = undefined;
      }
      resolve({ exitCode, outcome: k6Outcome(exitCode), summary, log });
    });
  });
}

/** Every threshold k6 evaluated, with the value it was checked against where the summary has one. */
export function thresholdResults(summary: K6Summary | undefined): ThresholdResult[] {
  if (!summary) return [];
  const results: ThresholdResult[] = [];
  for (const [metric, m] of Object.entries(summary.metrics)) {
    for (const [condition, t] of Object.entries(m.thresholds ?? {})) {
      const stat = /^(p\(\d+(?:\.\d+)?\)|rate|avg|med|min|max|count)/.exec(condition)?.[1];
      const observed = stat ? m.values[stat] : undefined;
      results.push({ metric, condition, passed: t.ok, ...(observed !== undefined ? { observed } : {}) });
    }
  }
  return results;
}
