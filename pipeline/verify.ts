// `cp3 verify`: the CP3 proof against a stack that is already up (its outputs from the stack, or from a file the
// Testbed's verification hook writes inside `pulumi up`). It creates and destroys nothing: the stack is the
// caller's, and so is its destroy.
import { onInterrupt } from "../lib/interrupt";
import { say } from "../lib/progress";
import { newRunId } from "../lib/run-id";
import type { LoadEngine } from "../load/engine";
import type { RunOptions } from "./options";
import { closeProof, judge, proveDeployed, startProof, type Findings } from "./prove";
import { exitCodeFor } from "./verdict";

export async function verifyDeployed(stackName: string, outputs: Record<string, unknown>, opts: RunOptions, engine: LoadEngine): Promise<number> {
  const proof = startProof(newRunId(), stackName, opts, engine);
  const interrupt = onInterrupt(say);
  const findings: Findings = { strictScan: opts.strictScan };
  let failure: unknown;
  try {
    await proveDeployed(proof, outputs, opts, engine, interrupt.signal, findings);
  } catch (err) {
    failure = err;
  } finally {
    interrupt.dispose();
    judge(proof, findings, { interrupted: interrupt.received() !== undefined, failure });
    await closeProof(proof);
  }
  return exitCodeFor(proof.report.verdict);
}
