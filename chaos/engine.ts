// What the chaos engine reads from the Docker engine about a container (PID, state, aliases, exposed ports,
// limits, disk use), all through lib/docker-api, the project's one engine client.
import * as docker from "../lib/docker-api";
import { poll } from "../lib/poll";

export const inspect = docker.inspectContainer;

/** The host PID of the container's init; an error saying what cannot be done when it is not running. */
export async function pidOf(name: string, otherwise = "so its network namespace cannot be entered"): Promise<number> {
  const s = (await inspect(name)).State;
  if (!s.Running || s.Pid <= 0) throw new Error(`container ${name} is not running (status ${s.Status}), ${otherwise}`);
  return s.Pid;
}

/**
 * SIGKILL to the container's init from the host: a crash, which the engine's restart policy answers. (The
 * same signal through the engine, POST /kill, counts as a manual stop, and the policy leaves it down.)
 */
export async function crash(name: string): Promise<void> {
  process.kill(await pidOf(name, "nothing to kill"), "SIGKILL");
}

/** The container's address on a network (by the network's full name), if attached. */
export async function ipOn(name: string, network: string): Promise<string | undefined> {
  const ip = (await inspect(name)).NetworkSettings.Networks[network]?.IPAddress;
  return ip === undefined || ip === "" ? undefined : ip;
}

/** Names the container answers to on a network: its aliases and hostname (what proxies' upstreams use). */
export async function namesOn(name: string, network: string): Promise<string[]> {
  const i = await inspect(name);
  return [...(i.NetworkSettings.Networks[network]?.Aliases ?? []), i.Config.Hostname, i.Name.replace(/^\//, "")];
}

/** TCP ports the image exposes, for probes that need something that listens. */
export async function exposedTcpPorts(name: string): Promise<number[]> {
  const ports = Object.keys((await inspect(name)).Config.ExposedPorts ?? {});
  return ports.filter((p) => p.endsWith("/tcp")).map((p) => Number(p.split("/")[0]));
}

/** Waits until the container runs (not restarting, not paused); returns the ms it took, or undefined at the deadline. */
export async function waitRunning(name: string, timeoutMs: number, signal?: AbortSignal): Promise<number | undefined> {
  const t0 = Date.now();
  const r = await poll(
    async () => {
      try {
        const s = (await inspect(name)).State;
        if (s.Running && !s.Restarting && !s.Paused) return Date.now() - t0;
      } catch {
        // the engine may answer 404 for a moment while a restart replaces the process; ask again
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 200, signal, what: `container ${name} running` },
  );
  return r.done ? r.value : undefined;
}

/** Runs a command in the container (as its own user) and fails with its output when it exits non-zero. */
export async function execOk(name: string, cmd: string[], timeoutMs = 30_000): Promise<string> {
  const r = await docker.exec(name, cmd, timeoutMs);
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} in ${name} exited ${r.exitCode}: ${r.output.trim()}`);
  return r.output;
}

export interface DiskUsage {
  mount: string;
  sizeBytes: number;
  usedBytes: number;
  availBytes: number;
}

/** `df` of mounts inside the container (POSIX output, 1024-byte blocks). */
export async function diskUsage(name: string, mounts: string[]): Promise<DiskUsage[]> {
  const out = await execOk(name, ["df", "-P", "-k", ...mounts]);
  return out
    .trim()
    .split("\n")
    .slice(1)
    .map((line, i) => {
      const f = line.trim().split(/\s+/);
      return { mount: f[5] ?? mounts[i]!, sizeBytes: Number(f[1]) * 1024, usedBytes: Number(f[2]) * 1024, availBytes: Number(f[3]) * 1024 };
    });
}

export const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

/**
 * The URL of a published port as it is now. An engine-picked host port (ci stacks) changes when the container
 * restarts, so a URL from the stack's outputs goes stale after a gateway restart; the container's port
 * bindings say where it went. Returns the URL unchanged when it is still bound (or cannot be resolved).
 */
export async function currentHostUrl(url: string, container: string): Promise<{ url: string; moved: boolean }> {
  const u = new URL(url);
  const i = await inspect(container).catch(() => undefined);
  const bindings = Object.values(i?.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []).filter((b) => b.HostIp === u.hostname);
  if (bindings.length === 0 || bindings.some((b) => b.HostPort === u.port)) return { url, moved: false };
  // The gateway publishes one port; with several, which one the URL meant cannot be told apart.
  if (bindings.length !== 1) return { url, moved: false };
  u.port = bindings[0]!.HostPort;
  return { url: u.origin, moved: true };
}
