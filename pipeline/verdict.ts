// The verdict from everything a run found. "error" is reserved for the testbed failing (up, health gate, the
// load engine, the chaos engine), not the system under test; "not-ready" is the system failing a gate.
import { integrityReasons } from "../integrity/check";
import { EXIT, type ExitCode } from "../lib/exit-codes";
import { rssGrowthReasons } from "../load/memory";
import { supplyChainReasons } from "../supply-chain/scan";
import { transportReasons } from "../security/transport";
import { detectionReasons } from "../observability/alerts";
import { coverageReasons } from "../observability/traces";
import type { RunReport, Verdict } from "../reporting/model";

export function decideVerdict(r: Pick<RunReport, "load" | "experiments" | "integrity" | "memory" | "supplyChain" | "transport" | "observability" | "traces">, extra: { infrastructureError?: string; interrupted?: boolean; pendingAfterDrain?: number; integrityUnchecked?: string; strictScan?: boolean }): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  if (extra.interrupted) return { verdict: "interrupted", reasons: ["the run was interrupted (SIGINT or SIGTERM)"] };
  if (extra.infrastructureError) return { verdict: "error", reasons: [extra.infrastructureError] };
  let infrastructure = false;
  if (r.load) {
    if (r.load.engineStatus !== "completed") {
      infrastructure = true;
      reasons.push(`the load engine ${r.load.engine.name} exited ${r.load.engineExitCode}: ${r.load.engineOutcome}`);
    }
    // Every gate must be there and have passed; the gates are evaluated from the ledger, whatever the engine.
    for (const t of r.load.thresholds) if (!t.passed) reasons.push(`SLO ${t.name}: ${t.condition} failed: ${t.detail ?? `observed ${t.observed}`}`);
    if (r.load.thresholds.length === 0 && !infrastructure) reasons.push("no SLO gate was evaluated");
    if (r.load.acknowledged === 0) reasons.push("no request was acknowledged during the load");
  }
  for (const e of r.experiments) {
    if (e.status === "failed") reasons.push(`experiment ${e.name} failed: ${e.reason ?? "steady state not kept"}`);
    if (e.status === "error") {
      infrastructure = true;
      reasons.push(`experiment ${e.name} could not run: ${e.reason ?? "chaos engine error"}`);
    }
    for (const f of e.faults) if (!f.removed) reasons.push(`experiment ${e.name}: fault ${f.kind} left behind: ${f.leftover ?? "unverified"}`);
  }
  if (extra.pendingAfterDrain !== undefined && extra.pendingAfterDrain !== 0) reasons.push(`${Number.isNaN(extra.pendingAfterDrain) ? "an unknown number of" : extra.pendingAfterDrain} record(s) still pending after the drain`);
  if (r.integrity) reasons.push(...integrityReasons(r.integrity));
  if (r.memory) reasons.push(...rssGrowthReasons(r.memory.growth, r.memory.maxGrowth));
  if (extra.strictScan) reasons.push(...supplyChainReasons(r.supplyChain));
  // With TLS on, a server that does not require it or a plaintext session is a finding, not a warning.
  reasons.push(...transportReasons(r.transport));
  // With monitoring on, an outage no alert noticed is a finding too.
  reasons.push(...detectionReasons(r.observability));
  // With tracing on, a record whose path cannot be followed end to end is a finding (below 99 % of them).
  reasons.push(...coverageReasons(r.traces));
  // A system with no oracle cannot be proven: never a silent pass.
  if (extra.integrityUnchecked) reasons.push(extra.integrityUnchecked);
  if (infrastructure) return { verdict: "error", reasons };
  return { verdict: reasons.length === 0 ? "ready" : "not-ready", reasons };
}

const EXIT_FOR: Record<Verdict, ExitCode> = { ready: EXIT.ok, "not-ready": EXIT.verdict, error: EXIT.usage, interrupted: EXIT.interrupted };

export const exitCodeFor = (v: Verdict): ExitCode => EXIT_FOR[v];
