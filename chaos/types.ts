// The shapes of the chaos engine: what an experiment declares (steady-state probes, a method of faults) and
// what it runs against (the stack's outputs). Validation lives in validate.ts; these types are what it returns.

/** The testbed's own roles; a system's services add theirs (their names and their description's roles). */
export const INFRASTRUCTURE_ROLES = ["nats", "postgres", "toxiproxy"] as const;
/** A role name: one of the infrastructure's, or a service's name or role from the system description. */
export type Role = string;
export const ROLE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

export const NETWORKS = ["edge", "data"] as const;
export type NetworkRole = (typeof NETWORKS)[number];

/** The proxied links Toxiproxy sits on (chaosProxies in the outputs). */
export const LINKS = ["nats", "postgres"] as const;
export type Link = (typeof LINKS)[number];

export const FAULT_KINDS = [
  "container-kill",
  "container-stop",
  "container-restart",
  "container-pause",
  "network-disconnect",
  "network-partition",
  "packet-loss",
  "bandwidth-limit",
  "latency",
  "timeout",
  "reset-peer",
  "slow-close",
  "disk-fill",
  "cpu-stress",
  "memory-stress",
  "pod-delete",
  "pod-evict",
  "scale-to-zero",
  "pod-partition",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Which containers (or proxies) a fault hits: the containers of a role (all of them, the first, or one by
 * index), one container by name, every container attached to a network, or the Toxiproxy proxies of a link.
 */
export type TargetSelector =
  | { role: Role; pick: "all" | "first" | number }
  | { container: string }
  | { network: NetworkRole }
  | { link: Link };

export type ParameterValue = string | number | boolean;

export interface FaultSpec {
  kind: FaultKind;
  target: TargetSelector;
  /** The other side of a network partition. */
  peer?: TargetSelector;
  /** Seconds after the method starts. */
  startAfterSeconds: number;
  /** How long the fault stays in place before its rollback (for kill: how long the container may take to come back). */
  durationSeconds: number;
  /** The kind's parameters, defaults filled in by validation. */
  parameters: Record<string, ParameterValue>;
}

export type ProbeSpec =
  /** The gateway's /readyz answers 200. */
  | { probe: "gateway-ready" }
  /** num_pending + num_ack_pending of a consumer (default: the stack's first), from the NATS monitor, is at most `max`. */
  | { probe: "consumer-lag"; max: number; stream?: string; consumer?: string }
  /** A service's HTTP endpoint, asked from inside its own container, answers `status` within `maxLatencyMs`. */
  | { probe: "http"; service: string; port: number; path: string; status: number; maxLatencyMs: number }
  /** The load's client error rate over the last `windowSeconds` is at most `max` (0..1); skipped without a load. */
  | { probe: "error-rate"; max: number; windowSeconds: number };

export interface Experiment {
  /** kebab-case; the CLI's name for it. */
  name: string;
  description: string;
  /** Checked before the method (the method runs only if every probe holds) and after it. */
  steadyState: ProbeSpec[];
  method: FaultSpec[];
  /** How long after the last fault's rollback the steady state may take to hold again. */
  recoveryDeadlineSeconds: number;
}

/** Where a stack runs; each fault kind says which it works on (parameters.ts). */
export type Platform = "docker" | "kubernetes";

/** Built from the stack's outputs (see targets.ts). */
export interface ChaosTargets {
  platform: Platform;
  /** The stack's namespace on Kubernetes; empty on Docker. */
  namespace: string;
  gatewayUrl: string;
  natsMonitorUrl: string;
  toxiproxyUrl: string;
  chaosProxies: { nats: string[]; postgres: string; enabled: boolean };
  /** Container names (on Kubernetes: workload names), the infrastructure's, and each service's under its name. */
  containers: { nats: string[]; postgres: string; toxiproxy: string } & Record<string, string | string[]>;
  /** The system's services by role (a service's name is one of its roles). */
  roles: Record<string, string[]>;
  /** The entry service (published on 127.0.0.1) and the path that answers 200 when the system is ready. */
  entry: { service: string; healthPath: string };
  networks: { edge: string; data: string };
  stream: { name: string; consumer: string };
}

export interface ChaosOptions {
  /** SIGINT/SIGTERM: stop waiting, roll back, return. */
  signal: AbortSignal;
  /** Seconds since the load started (for startedAt/endedAt). */
  clock: () => number;
  log: (line: string) => void;
  /** The load's recent client error rate 0..1, when a load runs. */
  errorRate?: (windowSeconds: number) => number;
}
