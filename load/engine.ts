// A load engine carries out a plan and writes the ledger; it decides nothing. Two exist: `loadgen` (ours, on
// vegeta's library, built from Go modules: the default) and `k6` (the user's own install; never built or shipped
// here, since k6 is AGPL-3.0).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { logFile } from "../lib/paths";
import type { LoadPlan } from "./plan";
import type { EngineInfo, ThresholdResult } from "./types";

export interface EngineRunOptions {
  plan: LoadPlan;
  /** The scenario's name (the profile): k6 runs loadtests/<scenario>.js. */
  scenario: string;
  /** Where the plan is written for the engine to read. */
  planFile: string;
  /** Where the ledger goes; undefined: no ledger (benchmarks, where nobody reads it). */
  ledgerFile?: string;
  /** The engine's own summary file (loadgen's schedule, k6's handleSummary JSON). */
  summaryFile: string;
  logName: string;
  signal?: AbortSignal;
  /** Extra environment for the engine's process (GOMAXPROCS, GOGC...). */
  env?: Record<string, string>;
}

export interface EngineRun {
  exitCode: number;
  /** The exit code in words, from the engine's own table. */
  outcome: string;
  status: "completed" | "interrupted" | "error";
  /** The engine's output (errors, k6's progress). */
  log: string;
  /** loadgen: how late requests started against their scheduled time. */
  lagMs?: { p50: number; p99: number; max: number };
  /** k6: its own threshold verdict. */
  engineThresholds?: ThresholdResult[];
  /** k6: the scenario script it ran. */
  script?: string;
}

export interface LoadEngine {
  readonly info: EngineInfo;
  run(o: EngineRunOptions): Promise<EngineRun>;
}

export const ENGINES = ["loadgen", "k6"] as const;
export type EngineName = (typeof ENGINES)[number];

/**
 * Runs an engine's process with its output in a log file; on abort it gets SIGTERM, which both engines answer by
 * stopping, flushing the ledger and writing their summary. Resolves with the exit code (signals as 128 + n).
 */
export function runEngineProcess(command: string, args: string[], o: { logName: string; env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<{ exitCode: number; log: string }> {
  const log = logFile(o.logName);
  const out = fs.openSync(log, "w");
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: o.env, stdio: ["ignore", out, out] });
    const onAbort = () => child.kill("SIGTERM");
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      o.signal?.removeEventListener("abort", onAbort);
      fs.closeSync(out);
      reject(new Error(`could not start ${command}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      o.signal?.removeEventListener("abort", onAbort);
      fs.closeSync(out);
      resolve({ exitCode: code ?? 128 + (signal === "SIGKILL" ? 9 : 15), log });
    });
  });
}

export function writePlan(plan: LoadPlan, file: string): void {
  fs.writeFileSync(file, JSON.stringify(plan, null, 2) + "\n");
}
