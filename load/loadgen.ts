// The default engine: `loadgen`, our small command on vegeta's library (toolchain/loadgen), built from Go modules
// by `cp3 setup`. It reads the plan, writes the ledger, and a summary with the schedule it kept.
import * as fs from "node:fs";
import type { Toolchain } from "../toolchain/setup";
import { runEngineProcess, writePlan, type EngineRun, type EngineRunOptions, type LoadEngine } from "./engine";
import type { EngineInfo } from "./types";

/** loadgen's exit codes (toolchain/loadgen/main.go says the same). */
const LOADGEN_OUTCOMES: Record<number, { outcome: string; status: EngineRun["status"] }> = {
  0: { outcome: "the plan was carried out", status: "completed" },
  1: { outcome: "loadgen failed (see its log)", status: "error" },
  2: { outcome: "loadgen refused the plan or its flags", status: "error" },
  3: { outcome: "stopped by a signal; the ledger holds what was sent", status: "interrupted" },
};

export const loadgenOutcome = (code: number) => LOADGEN_OUTCOMES[code] ?? { outcome: `unknown exit code ${code}`, status: "error" as const };

/** What loadgen writes to `--summary` (read here only for the schedule lag; counts come from the ledger). */
export interface LoadgenSummary {
  engine: "loadgen";
  version: string;
  planned: number;
  sent: number;
  completed: number;
  lagMs: { p50: number; p99: number; max: number };
  interrupted: boolean;
}

export class Loadgen implements LoadEngine {
  readonly info: EngineInfo;

  constructor(binary: string, version: string) {
    this.info = { name: "loadgen", version, path: binary };
  }

  async run(o: EngineRunOptions): Promise<EngineRun> {
    writePlan(o.plan, o.planFile);
    fs.rmSync(o.summaryFile, { force: true });
    const args = ["--plan", o.planFile, "--ledger", o.ledgerFile ?? "off", "--summary", o.summaryFile];
    const { exitCode, log } = await runEngineProcess(this.info.path, args, { logName: o.logName, env: { ...process.env, ...o.env }, signal: o.signal });
    const summary = readSummary(o.summaryFile);
    return { exitCode, ...loadgenOutcome(exitCode), log, ...(summary ? { lagMs: summary.lagMs } : {}) };
  }
}

function readSummary(file: string): LoadgenSummary | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LoadgenSummary;
  } catch {
    return undefined;
  }
}

/** The default engine, as `cp3 setup` built it. */
export function loadgenFrom(toolchain: Toolchain): Loadgen {
  const tool = toolchain.tools.find((t) => t.id === "loadgen");
  if (!tool) throw new Error("set-up did not resolve loadgen, the default load engine (run: npm run cp3 -- setup)");
  return new Loadgen(tool.path, tool.version);
}
