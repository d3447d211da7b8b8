// The kubernetes resource provider, built on first Kubernetes use rather than by `cp3 setup`: minutes of
// compiling (client-go, Helm, kubectl) that the Docker path never needs. Installed into Pulumi's plugin cache at
// exactly @pulumi/kubernetes's version, like the docker provider; cached by version and build key.
import * as fs from "node:fs";
import * as path from "node:path";
import { offlineEnv } from "../lib/pulumi-env";
import { pollUntil } from "../lib/poll";
import { say, StepError } from "../lib/progress";
import { cacheDir, logFile } from "../lib/paths";
import { findOnPath } from "../lib/which";
import { ensureGo } from "./go-build";
import { resolvePluginTool } from "./plugin-cache";
import { binDir } from "./setup";
import { goTools, type GoTool } from "./tools";

export function kubernetesProviderTool(): GoTool {
  const tool = goTools.find((t) => t.id === "kubernetes-provider");
  if (!tool) throw new Error("toolchain/tools.ts has no kubernetes-provider entry");
  return tool;
}

let pending: Promise<string> | undefined;

/**
 * Makes sure Pulumi's plugin cache holds the kubernetes provider at exactly the pinned @pulumi/kubernetes
 * version, building it from Go modules the first time (progress lines; cold about 15 minutes on 2 cores, then
 * seconds). Returns the installed plugin's path. Idempotent; one build at a time, within this process and across
 * processes (a lock file). Needs the Pulumi CLI of `cp3 setup` (or one on PATH) and Go.
 */
export function ensureKubernetesProvider(): Promise<string> {
  pending ??= ensure().finally(() => {
    pending = undefined;
  });
  return pending;
}

async function ensure(): Promise<string> {
  const tool = kubernetesProviderTool();
  const env = offlineEnv(binDir());
  const ready = await resolvePluginTool(tool, false, env);
  if (ready) return ready.path;
  if (!fs.existsSync(path.join(binDir(), "pulumi")) && !findOnPath("pulumi")) {
    throw new StepError("kubernetes provider", "the Pulumi CLI is needed to install the plugin and was not found: run `npm run cp3 -- setup` first", "pulumi plugin install");
  }
  await ensureGo();
  return withBuildLock(async () => {
    // Another process may have finished it while this one waited for the lock.
    const again = await resolvePluginTool(tool, false, env);
    if (again) return again.path;
    say(`kubernetes provider ${tool.version}: not built yet; building it from Go modules (first Kubernetes use; log: ${logFile(`build-${tool.id}`)})`);
    const built = await resolvePluginTool(tool, true, env);
    if (!built) throw new StepError("kubernetes provider", `the plugin is not in Pulumi's plugin cache after its build and install`);
    return built.path;
  });
}

/** Build lock: a folder made atomically, holding the owner's pid; a dead owner's lock is taken over. */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = path.join(cacheDir("toolchain"), "kubernetes-provider.lock");
  const owner = path.join(lock, "pid");
  const take = (): boolean => {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(owner, String(process.pid));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(fs.existsSync(owner) ? fs.readFileSync(owner, "utf8") : NaN);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return false;
      // A lock without a live owner (killed mid-build, or a pid not written yet: retried once it is stale).
      if (!Number.isInteger(pid) && Date.now() - fs.statSync(lock).mtimeMs < 10_000) return false;
      fs.rmSync(lock, { recursive: true, force: true });
      return false;
    }
  };
  if (!take()) {
    say("kubernetes provider: another cp3 process is building it; waiting for that build");
    await pollUntil(async () => (take() ? true : undefined), { timeoutMs: 60 * 60_000, intervalMs: 2_000, what: `the other process's kubernetes provider build (lock ${lock})` });
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
