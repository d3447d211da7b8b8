// One experiment: steady state before (the method runs only if it holds), the method's faults (each rolled
// back and verified in its own finally), then the steady state polled until it holds again. The result says
// what happened in one ExperimentResult; nothing escapes as an exception.
import type { ExperimentResult } from "./results";
import { runFault } from "./method";
import { awaitSteadyState, checkSteadyState, deviations, holds } from "./steady-state";
import type { ChaosOptions, ChaosTargets, Experiment } from "./types";

const interruptedReason = (opts: ChaosOptions) => `interrupted (${opts.signal.reason instanceof Error ? opts.signal.reason.message : "aborted"})`;

/** How a campaign runs an experiment; a plain run uses neither. */
export interface CampaignMode {
  /** Poll the steady state this long before the method; skipped (not failed) when it never holds. */
  beforeWaitSeconds?: number;
  /** It may run while another experiment's faults are in place: the check before is recorded, not required. */
  overlap?: boolean;
}

export async function runExperiment(exp: Experiment, targets: ChaosTargets, opts: ChaosOptions, mode: CampaignMode = {}): Promise<ExperimentResult> {
  const result: ExperimentResult = { name: exp.name, description: exp.description, startedAt: opts.clock(), endedAt: opts.clock(), steadyStateBefore: [], steadyStateAfter: [], faults: [], status: "error" };
  try {
    if (opts.signal.aborted) {
      result.reason = `${interruptedReason(opts)} before it started; nothing was injected`;
      return result;
    }
    opts.log(`experiment ${exp.name}: checking the steady state`);
    if (mode.beforeWaitSeconds !== undefined && !mode.overlap) {
      const before = await awaitSteadyState(exp.steadyState, targets, opts, mode.beforeWaitSeconds);
      result.steadyStateBefore = before.results;
      if (before.heldAt === undefined) {
        result.status = "skipped";
        result.reason = opts.signal.aborted ? `${interruptedReason(opts)} before it started; nothing was injected` : `the steady state did not hold within ${mode.beforeWaitSeconds} s before the method (${deviations(before.results)}), so the method did not run`;
        return result;
      }
    } else {
      result.steadyStateBefore = await checkSteadyState(exp.steadyState, targets, opts);
    }
    if (!holds(result.steadyStateBefore) && !mode.overlap) {
      result.status = "failed";
      result.reason = `the steady state did not hold before the method (${deviations(result.steadyStateBefore)}), so the method did not run`;
      return result;
    }
    opts.log(`experiment ${exp.name}: method of ${exp.method.length} fault(s)`);
    // Faults run side by side, each from its own offset; runFault never throws.
    result.faults = await Promise.all(exp.method.map((f) => runFault(f, targets, opts)));
    const faultsEnded = Math.max(...result.faults.map((f) => f.endedAt));
    if (opts.signal.aborted) {
      const left = result.faults.filter((f) => !f.removed);
      result.reason = `${interruptedReason(opts)}; ${left.length === 0 ? "every fault was rolled back and verified removed" : `left behind: ${left.map((f) => f.leftover).join("; ")}`}`;
      return result;
    }
    opts.log(`experiment ${exp.name}: waiting up to ${exp.recoveryDeadlineSeconds} s for the steady state`);
    const after = await awaitSteadyState(exp.steadyState, targets, opts, exp.recoveryDeadlineSeconds);
    result.steadyStateAfter = after.results;
    if (after.heldAt !== undefined) result.recoverySeconds = Math.max(0, Number((after.heldAt - faultsEnded).toFixed(1)));
    Object.assign(result, verdict(result, exp, opts));
    return result;
  } catch (err) {
    result.status = "error";
    result.reason = `the experiment itself failed: ${err instanceof Error ? err.message : String(err)}`;
    return result;
  } finally {
    result.endedAt = opts.clock();
    opts.log(`experiment ${exp.name}: ${result.status}${result.reason ? ` (${result.reason})` : ""}`);
  }
}

/** Worst first: something left behind, a fault that could not be applied, no recovery, a skipped fault. */
function verdict(r: ExperimentResult, exp: Experiment, opts: ChaosOptions): Pick<ExperimentResult, "status" | "reason"> {
  const left = r.faults.filter((f) => !f.removed);
  if (left.length > 0) return { status: "failed", reason: `rollback left something behind: ${left.map((f) => `${f.kind}: ${f.leftover}`).join("; ")}` };
  const broken = r.faults.filter((f) => f.status === "failed");
  if (broken.length > 0) return { status: "error", reason: `fault(s) could not be applied: ${broken.map((f) => `${f.kind}: ${f.effect}`).join("; ")}` };
  if (r.recoverySeconds === undefined) {
    if (opts.signal.aborted) return { status: "error", reason: `${interruptedReason(opts)} while waiting for recovery; every fault was rolled back` };
    return { status: "failed", reason: `the steady state did not hold again within ${exp.recoveryDeadlineSeconds} s after the faults (${deviations(r.steadyStateAfter)})` };
  }
  const skipped = r.faults.filter((f) => f.status === "skipped");
  if (skipped.length > 0) {
    const all = skipped.length === r.faults.length;
    return { status: "skipped", reason: `${all ? "every fault was" : `${skipped.length} of ${r.faults.length} faults were`} skipped: ${skipped.map((f) => `${f.kind}: ${f.effect}`).join("; ")}` };
  }
  return { status: "passed" };
}
