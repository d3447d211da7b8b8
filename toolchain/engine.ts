// The Docker engine: use one that answers; otherwise install Debian's docker.io and start dockerd in the
// background (without the userland proxy) with its log in a file.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { run, succeeds } from "../lib/exec";
import * as docker from "../lib/docker-api";
import { logFile } from "../lib/paths";
import { poll } from "../lib/poll";
import { say, StepError } from "../lib/progress";

export interface EngineInfo {
  version: string;
  apiVersion: string;
  source: string;
}

const isRoot = () => process.getuid?.() === 0;

async function aptInstall(packages: string[], step: string): Promise<void> {
  if (!isRoot()) {
    throw new StepError(step, `${packages.join(", ")} missing and cp3 is not root, so it cannot apt-get install them; install them, or start a Docker engine, and run again`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // A fresh machine's package lists may be empty or stale, so update once before installing.
  await run("apt-get", ["update", "-qq"], { step, log: "apt-get-update", env });
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { step, log: `apt-get-install-${packages[0]}`, env });
}

/** Installs Debian packages whose command is missing. */
export async function ensureDebianPackages(commands: Record<string, string>, step: string): Promise<void> {
  const missing: string[] = [];
  for (const [command, pkg] of Object.entries(commands)) {
    if (!(await succeeds("sh", ["-c", `command -v ${command}`]))) missing.push(pkg);
  }
  if (missing.length > 0) await aptInstall(missing, step);
}

async function waitForEngine(timeoutMs: number): Promise<boolean> {
  const r = await poll(async () => ((await docker.ping()) ? true : undefined), { timeoutMs, intervalMs: 500, what: "the Docker engine on its socket" });
  return r.done;
}

export async function ensureEngine(options: { startIfMissing: boolean }): Promise<EngineInfo | undefined> {
  if (await docker.ping()) {
    const v = await docker.version();
    return { version: v.Version, apiVersion: v.ApiVersion, source: `running engine at ${docker.socketPath()}` };
  }
  if (!options.startIfMissing) return undefined;

  // dockerd lives in /usr/sbin, which a non-login PATH may lack.
  await ensureDebianPackages({ "/usr/sbin/dockerd": "docker.io", "/usr/sbin/iptables": "iptables" }, "docker-engine");
  const log = logFile("dockerd");
  say(`starting dockerd in the background (log: ${log})`);
  const out = fs.openSync(log, "a");
  // No userland proxy: published ports go through the kernel's NAT instead of a docker-proxy process per port,
  // which would otherwise take CPU from what the benchmarks measure and add a hop to every request.
  const daemon = spawn("/usr/sbin/dockerd", ["--userland-proxy=false"], { detached: true, stdio: ["ignore", out, out] });
  daemon.unref();
  fs.closeSync(out);
  if (!(await waitForEngine(60_000))) {
    throw new StepError("docker-engine", "dockerd did not answer on its socket within 60 s", "/usr/sbin/dockerd", log);
  }
  const v = await docker.version();
  return { version: v.Version, apiVersion: v.ApiVersion, source: `dockerd started by cp3 (log: ${log})` };
}
