// What the chaos engine reports about an experiment: its steady-state probes, each fault and the verdict. The
// chaos library owns these types; a run's report (reporting/model.ts) carries them as they are.

export interface ProbeResult {
  name: string;
  /** What the probe measured, e.g. "HTTP 200" or "lag 12". */
  observed: string;
  tolerance: string;
  passed: boolean;
}

export interface FaultResult {
  kind: string;
  /** Container names (or proxy names for Toxiproxy faults) the fault was applied to. */
  targets: string[];
  parameters: Record<string, string | number | boolean>;
  /** Seconds since the load started. */
  startedAt: number;
  endedAt: number;
  /** "applied" with the measured effect, or "skipped" with the reason (a missing kernel feature, for example). */
  status: "applied" | "skipped" | "failed";
  /** What a probe saw while the fault was in place, e.g. "ping loss 21 %" or "connect refused". */
  effect: string;
  /** Whether the rollback was verified: no rule, qdisc, toxic, file or process left; container running, unpaused. */
  removed: boolean;
  /** What was found left behind, when `removed` is false. */
  leftover?: string;
}

export interface ExperimentResult {
  name: string;
  description: string;
  /** Seconds since the load started. */
  startedAt: number;
  endedAt: number;
  steadyStateBefore: ProbeResult[];
  steadyStateAfter: ProbeResult[];
  faults: FaultResult[];
  /** Seconds from the end of the last fault until the steady state held again; undefined when it never did. */
  recoverySeconds?: number;
  status: "passed" | "failed" | "skipped" | "error";
  /** A campaign's lane it ran in (absent in plain runs: one lane). */
  lane?: "main" | "overlap";
  /** Why it failed or was skipped, in one sentence. */
  reason?: string;
}
