// The hardening every testbed container gets (CIS Docker Benchmark 4.1, 5.4, 5.10-5.12, 5.13, 5.15, 5.25,
// 5.26): one place, so every component and the policy checks agree on it.
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
}

export const LOG_OPTS = { "max-size": "10m", "max-file": "3" } as const;
export const MAX_RESTARTS = 5;

export function hardened(args: HardeningArgs): Partial<docker.ContainerArgs> {
  return {
    user: args.user,
    readOnly: true,
    tmpfs: args.tmpfs,
    capabilities: { drops: ["ALL"], adds: args.capAdd ?? [] },
    securityOpts: ["no-new-privileges:true"],
    memory: args.memoryMiB,
    cpus: String(args.cpus),
    restart: "on-failure",
    maxRetryCount: MAX_RESTARTS,
    logDriver: "json-file",
    logOpts: { ...LOG_OPTS },
    privileged: false,
  };
}
