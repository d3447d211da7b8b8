// The hardening every testbed container gets (CIS Docker Benchmark 4.1, 5.4, 5.5, 5.10-5.13, 5.15, 5.25,
// 5.26, 5.28): one place, so every component and the policy pack agree on it.
import type * as docker from "@pulumi/docker";

export interface HardeningArgs {
  /** uid:gid, never root. */
  user: string;
  memoryMiB: number;
  cpus: number;
  /** Writable paths on tmpfs (path -> mount options); the root filesystem is read-only. */
  tmpfs: Record<string, string>;
  /** Capabilities added back after dropping all; empty unless a container provably needs one. */
  capAdd?: string[];
  /** Services restart on failure (at most 5 times); one-shot jobs never restart. @default "service" */
  lifecycle?: "service" | "job";
}

export const LOG_OPTS = { "max-size": "10m", "max-file": "3" } as const;
export const MAX_RESTARTS = 5;
/**
 * This provider's container schema has no PIDs limit (kreuzwerker's docker_container lacks pids_limit), so
 * the process count is bounded with RLIMIT_NPROC, which counts per UID; every service runs under its own UID.
 */
export const NPROC_LIMIT = 512;

/** Options for a tmpfs owned by `user` (uid:gid). */
export function tmpfsFor(user: string, sizeMiB: number, mode = "0700"): string {
  const [uid, gid] = user.split(":");
  return `rw,noexec,nosuid,size=${sizeMiB}m,uid=${uid},gid=${gid},mode=${mode}`;
}

/**
 * CPUs in the form the provider reads back from the engine ("1.0", "0.5"), so an unchanged limit never shows
 * as a change (and a replacement) on the next update.
 */
export function cpusString(cpus: number): string {
  return Number.isInteger(cpus) ? cpus.toFixed(1) : String(cpus);
}

/** Published ports in the order the provider reads them back (by internal port), for the same reason. */
export function sortedPorts<T extends { internal: number }>(ports: T[]): T[] {
  return [...ports].sort((a, b) => a.internal - b.internal);
}

export function hardened(args: HardeningArgs): Partial<docker.ContainerArgs> {
  const job = args.lifecycle === "job";
  return {
    user: args.user,
    readOnly: true,
    tmpfs: args.tmpfs,
    capabilities: { drops: ["ALL"], adds: args.capAdd ?? [] },
    securityOpts: ["no-new-privileges:true"],
    memory: args.memoryMiB,
    // No swap beyond the memory limit.
    memorySwap: args.memoryMiB,
    cpus: cpusString(args.cpus),
    ulimits: [{ name: "nproc", soft: NPROC_LIMIT, hard: NPROC_LIMIT }],
    restart: job ? "no" : "on-failure",
    maxRetryCount: job ? 0 : MAX_RESTARTS,
    logDriver: "json-file",
    logOpts: { ...LOG_OPTS },
    privileged: false,
  };
}
