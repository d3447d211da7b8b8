// Runs one fault of a method: wait for its offset, apply, measure while it is in place, hold it for its
// duration, then roll it back and verify the rollback, in a finally, whatever happened before (an error,
// a partial apply, an interrupt). Never throws: everything ends up in the FaultResult.
import { randomBytes } from "node:crypto";
import type { FaultResult } from "./results";
import { FAULTS, FaultSkipped } from "./faults";
import type { ActiveFault } from "./faults/fault";
import { sleep, within } from "./sleep";
import { platformsOf } from "./parameters";
import { resolveTarget } from "./targets";
import { inspect, waitRunning } from "./engine";
import { TAG_PREFIX } from "./netns";
import type { ChaosOptions, ChaosTargets, FaultSpec } from "./types";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A tag unique to one fault run: cp3-chaos-<kind>-<8 hex>. */
export const newTag = (spec: FaultSpec) => `${TAG_PREFIX}${spec.kind}-${randomBytes(4).toString("hex")}`;

export async function runFault(spec: FaultSpec, targets: ChaosTargets, opts: ChaosOptions): Promise<FaultResult> {
  const result: FaultResult = { kind: spec.kind, targets: [], parameters: { ...spec.parameters }, startedAt: opts.clock(), endedAt: opts.clock(), status: "failed", effect: "", removed: true };
  await sleep(spec.startAfterSeconds * 1000, opts.signal);
  result.startedAt = opts.clock();
  if (opts.signal.aborted) {
    result.status = "skipped";
    result.effect = "interrupted before it started";
    result.endedAt = result.startedAt;
    return result;
  }
  const tag = newTag(spec);
  let fault: ActiveFault | undefined;
  try {
    const platforms = platformsOf(spec.kind);
    if (!platforms.includes(targets.platform)) throw new FaultSkipped(`${spec.kind} works on ${platforms.join(" and ")}; this stack runs on ${targets.platform}`);
    const names = await resolveTarget(targets, spec.target);
    const peers = spec.peer ? await resolveTarget(targets, spec.peer) : [];
    result.targets = names;
    if (spec.peer) result.parameters.peer = peers.join(",");
    if (names.length === 0) throw new Error(`target ${JSON.stringify(spec.target)} matched no container`);
    // Another fault (a campaign's other lane) may have a target down, or take one down during the apply: wait
    // for it, roll back what was applied and apply again, at most three times.
    const containers = targets.platform === "docker" && !("link" in spec.target) ? [...names, ...peers] : [];
    const down = async () => (await Promise.all(containers.map(async (n) => ((await inspect(n).catch(() => undefined))?.State.Running ? undefined : n)))).filter((n): n is string => n !== undefined);
    const awaitUp = async (list: string[]) => {
      for (const n of list) if ((await waitRunning(n, 30_000, opts.signal)) === undefined && !opts.signal.aborted) throw new Error(`${n} is not running 30 s after the fault was due`);
    };
    await awaitUp(containers);
    const holdUntil = Date.now() + spec.durationSeconds * 1000;
    opts.log(`fault ${spec.kind} (${tag}) on ${names.join(", ")} for ${spec.durationSeconds} s`);
    for (let attempt = 1; ; attempt++) {
      fault = FAULTS[spec.kind]({ spec, targets, names, peers, tag, signal: opts.signal, log: opts.log });
      try {
        await fault.apply();
        break;
      } catch (err) {
        const gone = err instanceof FaultSkipped || attempt === 3 ? [] : await down();
        if (gone.length === 0) throw err;
        opts.log(`fault ${spec.kind} (${tag}): ${gone.join(", ")} went down during the apply (${message(err)}); rolling back and applying again`);
        await fault.rollback().catch((e: unknown) => opts.log(`fault ${spec.kind} (${tag}): rollback before the retry: ${message(e)}`));
        await awaitUp(gone);
      }
    }
    result.status = "applied";
    opts.log(`fault ${spec.kind} (${tag}) in place`);
    // The measurement has the fault's duration (less a little for the rollback to start on time).
    const budget = Math.max(1000, holdUntil - Date.now() - 250);
    const cutShort = Symbol("cut short");
    const measured = await within<string | symbol>(fault.measure(budget), budget + 2000, cutShort, opts.signal).catch((err: unknown) => `measurement failed: ${message(err)}`);
    if (typeof measured === "string") result.effect = measured;
    else result.effect = opts.signal.aborted ? "the interrupt came before the measurement ended" : `no measurement within ${(budget / 1000).toFixed(1)} s`;
    await sleep(holdUntil - Date.now(), opts.signal);
    if (opts.signal.aborted) result.effect += " (interrupted: rolled back early)";
  } catch (err) {
    if (err instanceof FaultSkipped) {
      result.status = "skipped";
      result.effect = `skipped: ${err.message}`;
    } else {
      result.status = "failed";
      result.effect = `${result.effect ? `${result.effect}; ` : ""}error: ${message(err)}`;
    }
  } finally {
    if (fault) {
      try {
        const note = await fault.rollback();
        if (note) result.effect += `; rollback: ${note}`;
      } catch (err) {
        result.effect += `; rollback error: ${message(err)}`;
      }
      let left: string | undefined;
      try {
        left = await fault.leftover();
      } catch (err) {
        left = `could not verify the removal: ${message(err)}`;
      }
      result.removed = left === undefined;
      if (left !== undefined) result.leftover = left;
    }
    result.endedAt = opts.clock();
    opts.log(`fault ${spec.kind} (${tag}) ${result.status}, removed ${result.removed}: ${result.effect}${result.leftover ? `; LEFT: ${result.leftover}` : ""}`);
  }
  return result;
}
