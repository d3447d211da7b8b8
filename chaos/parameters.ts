// Each fault kind's parameters: type, range and default. Validation reads this table, so a file experiment
// gets the same checks and the same defaults as a built-in one.
import type { FaultKind, ParameterValue, Platform } from "./types";

export type ParamSpec =
  | { type: "number"; min: number; max: number; minExclusive?: boolean; default?: number; about: string }
  | { type: "integer"; min: number; max: number; default?: number; about: string }
  | { type: "enum"; values: readonly string[]; default?: string; about: string }
  | { type: "string"; pattern: RegExp; default?: string; about: string };

/** What a target must be for a kind: containers (role, container or network), or Toxiproxy proxies (link). */
export type TargetKind = "containers" | "link";

export interface KindSpec {
  target: TargetKind;
  /** Where the kind works. @default both (Toxiproxy toxics) or docker (engine and container faults) */
  platforms?: readonly Platform[];
  /** A partition needs the other side. */
  needsPeer?: boolean;
  parameters: Record<string, ParamSpec>;
  about: string;
}

const network = { type: "enum", values: ["data", "edge"], default: "data", about: "the network whose interface the fault is on" } as const;
const grace = { type: "integer", min: 0, max: 120, default: 10, about: "seconds between SIGTERM and SIGKILL" } as const;
// A container start empties its tmpfs mounts: fine for the JetStream store (the system must survive that),
// meaningless for PostgreSQL's data directory (no database at all afterwards), so such a fault can name the
// mount that must survive and is skipped when it is a tmpfs.
const durable = { type: "string", pattern: /^\/[A-Za-z0-9._/-]*$/, about: "a mount that must survive the fault; skipped when it is a tmpfs" } as const;

export const KINDS: Record<FaultKind, KindSpec> = {
  "container-kill": {
    target: "containers",
    parameters: {
      via: { type: "enum", values: ["process", "engine"], default: "process", about: "process: SIGKILL to the container's init from the host, a crash the restart policy answers; engine: POST /kill, which the engine treats as a manual stop" },
      durable,
    },
    about: "SIGKILL, then the container must run again (restart policy, else started)",
  },
  "container-stop": { target: "containers", parameters: { graceSeconds: grace, durable }, about: "stopped for the duration, then started" },
  "container-restart": { target: "containers", parameters: { graceSeconds: grace, durable }, about: "restarted (a tmpfs comes back empty)" },
  "container-pause": { target: "containers", parameters: {}, about: "frozen (cgroup freezer) for the duration" },
  "network-disconnect": { target: "containers", parameters: { network }, about: "disconnected from a network, reconnected with its aliases" },
  "network-partition": { target: "containers", needsPeer: true, parameters: {}, about: "iptables DROP between target and peer, both ways" },
  "packet-loss": {
    target: "containers",
    parameters: { probability: { type: "number", min: 0, max: 1, minExclusive: true, default: 0.2, about: "share of egress packets dropped" }, network },
    about: "iptables statistic DROP on egress",
  },
  "bandwidth-limit": {
    target: "containers",
    parameters: {
      rateKbit: { type: "integer", min: 8, max: 10_000_000, default: 1000, about: "egress rate in kbit/s" },
      burstKbit: { type: "integer", min: 8, max: 1_000_000, default: 32, about: "token bucket size in kbit" },
      latencyMs: { type: "integer", min: 1, max: 10_000, default: 400, about: "longest a packet may wait in the bucket" },
      network,
    },
    about: "tc tbf on egress",
  },
  latency: {
    target: "link",
    parameters: {
      latencyMs: { type: "integer", min: 1, max: 60_000, default: 500, about: "added delay" },
      jitterMs: { type: "integer", min: 0, max: 60_000, default: 0, about: "± random variation" },
      stream: { type: "enum", values: ["downstream", "upstream"], default: "downstream", about: "direction (downstream: server to client)" },
    },
    about: "Toxiproxy latency toxic",
  },
  timeout: {
    target: "link",
    parameters: { timeoutMs: { type: "integer", min: 0, max: 600_000, default: 5000, about: "connection closed after this long with no data (0: never)" } },
    about: "Toxiproxy timeout toxic: no data gets through",
  },
  "reset-peer": {
    target: "link",
    parameters: { timeoutMs: { type: "integer", min: 0, max: 600_000, default: 0, about: "reset after this long (0: at once)" } },
    about: "Toxiproxy reset_peer toxic: TCP RST",
  },
  "slow-close": {
    target: "link",
    parameters: { delayMs: { type: "integer", min: 1, max: 600_000, default: 2000, about: "how long a close is held back" } },
    about: "Toxiproxy slow_close toxic",
  },
  "disk-fill": {
    target: "containers",
    parameters: {
      percent: { type: "number", min: 1, max: 100, default: 95, about: "how full the mount is made" },
      mount: { type: "string", pattern: /^\/[A-Za-z0-9._/-]*$/, about: "the mount to fill (default: the container's largest tmpfs or volume)" },
      maxMiB: { type: "integer", min: 1, max: 65_536, default: 1024, about: "refuse to write more than this (a volume lives on the host's disk)" },
    },
    about: "a file fills a tmpfs or volume",
  },
  "cpu-stress": {
    target: "containers",
    parameters: { workers: { type: "integer", min: 1, max: 16, default: 2, about: "busy loops started in the container's cgroup" } },
    about: "busy loops in the container's cgroup",
  },
  "memory-stress": {
    target: "containers",
    parameters: { percentOfLimit: { type: "number", min: 1, max: 100, default: 80, about: "memory use the container is brought to, as a share of its limit" } },
    about: "a process in the container's cgroup holds memory",
  },
  "pod-delete": {
    target: "containers",
    platforms: ["kubernetes"],
    parameters: { graceSeconds: { type: "integer", min: 0, max: 120, default: 0, about: "the pod's termination grace (0: SIGKILL at once)" } },
    about: "a workload's pod deleted through the API; its controller must replace it",
  },
  "pod-evict": { target: "containers", platforms: ["kubernetes"], parameters: {}, about: "a workload's pod evicted through the API (as a node drain does)" },
  "scale-to-zero": { target: "containers", platforms: ["kubernetes"], parameters: {}, about: "the workload scaled to 0 replicas for the duration, then back" },
  "pod-partition": { target: "containers", platforms: ["kubernetes"], needsPeer: true, parameters: {}, about: "iptables DROP between the pods (and Services) of target and peer, in each pod's network namespace" },
};

/** The platforms a kind works on. */
export const platformsOf = (kind: FaultKind): readonly Platform[] => KINDS[kind].platforms ?? (KINDS[kind].target === "link" ? ["docker", "kubernetes"] : ["docker"]);

export function describeParam(p: ParamSpec): string {
  switch (p.type) {
    case "number":
      return `a number from ${p.min}${p.minExclusive ? " (exclusive)" : ""} to ${p.max}`;
    case "integer":
      return `an integer from ${p.min} to ${p.max}`;
    case "enum":
      return p.values.map((v) => `"${v}"`).join(", ");
    case "string":
      return `a string matching ${String(p.pattern)}`;
  }
}

/** The value if it fits the spec, else undefined. */
export function acceptParam(p: ParamSpec, value: unknown): ParameterValue | undefined {
  switch (p.type) {
    case "number":
      return typeof value === "number" && Number.isFinite(value) && (p.minExclusive ? value > p.min : value >= p.min) && value <= p.max ? value : undefined;
    case "integer":
      return typeof value === "number" && Number.isInteger(value) && value >= p.min && value <= p.max ? value : undefined;
    case "enum":
      return typeof value === "string" && p.values.includes(value) ? value : undefined;
    case "string":
      return typeof value === "string" && p.pattern.test(value) ? value : undefined;
  }
}
