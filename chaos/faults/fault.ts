// What every fault kind implements. The runner (method.ts) calls apply, measures while the fault is in place,
// and then ALWAYS calls rollback and leftover, also after a failed or partial apply, so both must be
// idempotent and must work from whatever state apply reached.
import type { ChaosTargets, FaultSpec, ParameterValue } from "../types";

/** Thrown by apply when the fault cannot run here (a missing kernel feature, Toxiproxy not in the path). */
export class FaultSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "FaultSkipped";
  }
}

export interface FaultContext {
  spec: FaultSpec;
  targets: ChaosTargets;
  /** Container names (or proxy names for toxics) the fault is applied to. */
  names: string[];
  /** The other side of a partition. */
  peers: string[];
  /** cp3-chaos-<...>: on every rule, toxic, file and process this fault creates. */
  tag: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface ActiveFault {
  apply(): Promise<void>;
  /** What a probe sees while the fault is in place; must finish within `budgetMs`. */
  measure(budgetMs: number): Promise<string>;
  /** Undoes the fault; returns a note for the effect when it had to do something unusual. */
  rollback(): Promise<string | undefined>;
  /** What is left behind after rollback (a rule, a toxic, a stopped container...), or undefined when clean. */
  leftover(): Promise<string | undefined>;
}

export type FaultFactory = (ctx: FaultContext) => ActiveFault;

export function num(spec: FaultSpec, key: string): number {
  const v: ParameterValue | undefined = spec.parameters[key];
  if (typeof v !== "number") throw new Error(`parameter ${key} of ${spec.kind} is ${String(v)}, not a number (validation should have caught this)`);
  return v;
}

export function str(spec: FaultSpec, key: string): string | undefined {
  const v = spec.parameters[key];
  return v === undefined ? undefined : String(v);
}

/** Runs `work` for each item, all of them even when some fail; then throws the failures together. */
export async function forEach<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map(work));
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (errors.length > 0) throw new Error(errors.join("; "));
}

/** Collects leftovers of each item into one line, or undefined when none. */
export async function leftoversOf<T>(items: T[], check: (item: T) => Promise<string | undefined>): Promise<string | undefined> {
  const found = await Promise.all(
    items.map(async (i) => {
      try {
        return await check(i);
      } catch (err) {
        return `could not verify ${typeof i === "object" ? JSON.stringify(i) : String(i)}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }),
  );
  const left = found.filter((f): f is string => f !== undefined);
  return left.length === 0 ? undefined : left.join("; ");
}
