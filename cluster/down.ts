// `cluster down`: stops everything `up` started and takes back what it changed, in an order that lets each
// piece clean up after the one before: no new pods (scheduler, controllers, kubelet stopped), the pods'
// sandboxes removed through CRI (CNI DEL for each: its IP, its chains), containerd stopped (its mount namespace
// and every mount in it go with its last process), kube-proxy's rules removed, the API server and etcd
// stopped; then whatever is left of ours in iptables, the bridge, the kubelet's cgroups and log links, and the
// kernel tunables written back.
import * as fs from "node:fs";
import * as path from "node:path";
import { succeeds } from "../lib/exec";
import { say } from "../lib/progress";
import { builds, buildDir } from "../toolchain/kubernetes/build";
import { crictlArgs } from "./netns";
import { bridgeExists, killPodProcesses, leftoverRules, podProcesses, ourMounts, removeBridge, removeContainerLogLinks, removeKubeletCgroups, removeOurRules, restoreTunables } from "./host";
import { clusterDir, files } from "./layout";
import { procStat } from "../lib/proc-stat";
import { isAlive, processesNaming, readState, removeState, stopProcess, type ProcessRecord } from "./processes";

export interface DownReport {
  stopped: string[];
  restored: string[];
  /** Anything of ours still there afterwards (processes, mounts, iptables rules, the bridge): empty when clean. */
  left: string[];
}

const ORDER = ["kube-scheduler", "kube-controller-manager", "kubelet", "containerd", "kube-proxy", "coredns", "kube-apiserver", "etcd"];

/** Executables that may be ours: the toolchain's builds, Debian's containerd and its shim, and runc. */
function ourExecutable(exe: string): boolean {
  const base = path.basename(exe.replace(/ \(deleted\)$/, ""));
  return exe.startsWith(path.dirname(buildDir(builds.kubernetes))) || ["containerd", "containerd-shim-runc-v2", "runc", "unshare", "nsenter"].includes(base);
}

/** Our processes still running: recorded ones, and any naming the cluster folder (shims, a lost state file). */
export function ourProcesses(recorded: ProcessRecord[]): number[] {
  const pids = new Set(recorded.filter(isAlive).map((p) => p.pid));
  for (const pid of processesNaming(clusterDir(), ourExecutable)) pids.add(pid);
  return [...pids];
}

export async function stopCluster(crictl: string | undefined, kubeProxy: string | undefined): Promise<DownReport> {
  const state = readState();
  const recorded = state?.processes ?? [];
  const byName = new Map(recorded.map((p) => [p.name, p]));
  const report: DownReport = { stopped: [], restored: [], left: [] };
  const stop = async (p: ProcessRecord | undefined, graceMs = 10_000) => {
    if (!p) return;
    const how = await stopProcess(p, graceMs);
    if (how !== "gone") report.stopped.push(`${p.name} (pid ${p.pid}, ${how})`);
  };

  for (const name of ORDER.slice(0, 3)) await stop(byName.get(name));
  const containerd = byName.get("containerd");
  if (crictl && containerd && isAlive(containerd)) {
    // Sandboxes first: each one's CNI DEL frees its address and removes its chains.
    await succeeds(crictl, crictlArgs("rmp", "-fa"));
  }
  await stop(containerd);
  await stop(byName.get("kube-proxy"));
  if (kubeProxy && fs.existsSync(kubeProxy)) await succeeds(kubeProxy, ["--cleanup", "--proxy-mode=iptables"]);
  await stop(byName.get("coredns"));
  await stop(byName.get("kube-apiserver"));
  await stop(byName.get("etcd"));

  // Shims and containers of a containerd that died without removing them; anything else naming our folder.
  for (const pid of ourProcesses([])) {
    const s = procStat(pid);
    if (s) await stop({ name: `leftover ${fs.readlinkSync(`/proc/${pid}/exe`)}`, pid, startTicks: s.startTicks, log: "", command: [] }, 5_000);
  }

  const killed = await killPodProcesses();
  if (killed > 0) report.stopped.push(`${killed} process(es) left in pod cgroups (SIGKILL)`);

  await removeOurRules();
  await removeBridge().catch(() => undefined);
  removeContainerLogLinks();
  removeKubeletCgroups();
  if (state) report.restored = restoreTunables(state.sysctls);
  for (const dir of state?.createdDirs ?? []) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty: someone else's now
    }
  }
  // The data of this cluster; the images (containerd's root) and certificates stay for the next up.
  for (const dir of [files.etcdData(), files.containerdState(), files.kubeletRoot(), files.podLogs(), files.varLibCni(), files.runContainerd()]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  removeState();

  report.left = await leftovers();
  if (report.left.length > 0) say(`cluster down: still there: ${report.left.join("; ")}`);
  return report;
}

/** What of ours is still on the host: processes, mounts, iptables rules, the bridge. */
export async function leftovers(): Promise<string[]> {
  const left: string[] = [];
  for (const pid of ourProcesses([])) left.push(`process ${pid} (${fs.readlinkSync(`/proc/${pid}/exe`)})`);
  for (const pid of podProcesses()) left.push(`process ${pid} in a pod cgroup`);
  for (const m of ourMounts(clusterDir())) left.push(`mount ${m}`);
  for (const r of await leftoverRules()) left.push(r);
  if (bridgeExists()) left.push("bridge cp3-cni0");
  return left;
}
