// A real single-node Kubernetes cluster on this machine, started and stopped by cp3 (`cp3 cluster up|down|status`).
// Built lazily from Go modules on first use (toolchain/kubernetes); no image is ever pulled. See README.md.
import { run } from "../lib/exec";
import { step } from "../lib/progress";
import { ensureKubernetesToolchain, type KubernetesToolchain } from "../toolchain/kubernetes/build";
import { stopCluster, type DownReport } from "./down";
import { importImagesWith, nodeImageName } from "./images";
import { files } from "./layout";
import { crictlArgs, podNetnsWith, type PodNetns } from "./netns";
import { readClusterStatus, type ClusterStatus } from "./status";
import { startCluster, type ClusterUpOptions } from "./up";

export type { ClusterStatus, ClusterUpOptions, DownReport, PodNetns };
export { nodeImageName };

let toolchain: Promise<KubernetesToolchain> | undefined;

/** The node's binaries, built (once, cached by version) on first use. */
export function clusterToolchain(): Promise<KubernetesToolchain> {
  toolchain ??= step("kubernetes toolchain", ensureKubernetesToolchain).catch((err: unknown) => {
    toolchain = undefined;
    throw err;
  });
  return toolchain;
}

/**
 * Starts the cluster and waits until the node is Ready and the default ServiceAccount exists. Idempotent. On a
 * failure it stops whatever it started and throws (the StepError names the process and its log).
 */
export async function clusterUp(opts: ClusterUpOptions = {}): Promise<ClusterStatus> {
  const t = await clusterToolchain();
  const down = () => stopCluster(t.crictl, t.kube["kube-proxy"]);
  try {
    await step("cluster up", () => startCluster(t, opts, down));
  } catch (err) {
    // Half a cluster helps nobody: stop what started (the logs stay in the cache) and report the failure.
    await down().catch(() => undefined);
    throw err;
  }
  return readClusterStatus();
}

/** Stops everything and takes back every change; `left` lists anything of ours still there (empty: clean). */
export async function clusterDown(): Promise<DownReport> {
  const t = await clusterToolchain();
  return step("cluster down", () => stopCluster(t.crictl, t.kube["kube-proxy"]));
}

export function clusterStatus(): Promise<ClusterStatus> {
  return readClusterStatus();
}

/** The admin kubeconfig (client certificate in group system:masters). */
export function kubeconfigPath(): string {
  return files.kubeconfig("admin");
}

/** Docker images into the node (as docker.io/<name>:<tag>); skips what is there unchanged; returns what it imported. */
export async function importImages(refs: string[]): Promise<string[]> {
  const t = await clusterToolchain();
  return importImagesWith(t.crictl, t.ctr, refs);
}

/** A pod's network namespace (pod UID or namespace/name): `nsenter ...nsenterArgs -- cmd` enters it. */
export async function podNetns(pod: string): Promise<PodNetns> {
  return podNetnsWith((await clusterToolchain()).crictl, pod);
}

/** crictl's path and the arguments that point it at the node's containerd. */
export async function crictl(): Promise<{ path: string; args: string[] }> {
  return { path: (await clusterToolchain()).crictl, args: crictlArgs() };
}

/** Runs crictl against the node; returns its stdout. */
export async function runCrictl(args: string[]): Promise<string> {
  return run((await crictl()).path, crictlArgs(...args), { step: "crictl", log: "cluster-crictl" });
}
