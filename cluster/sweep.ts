// The orphan sweep's look at the cluster: a cluster started for a process that has ended (a test run that was
// killed), or one half running (a component crashed, a state file lost), is stopped like `cluster down`
// would. A whole cluster started by `cp3 cluster up` is kept until `cp3 cluster down`.
import { builtKubernetesTools } from "../toolchain/kubernetes/build";
import { ourProcesses, stopCluster } from "./down";
import { isAlive, readState, type ClusterState } from "./processes";

/** Why the cluster is an orphan, or undefined when there is none or it is to be kept. */
export function clusterOrphanReason(state: ClusterState | undefined, leftoverPids: number[]): string | undefined {
  if (!state) return leftoverPids.length > 0 ? `${leftoverPids.length} process(es) of a cluster with no state file (pids ${leftoverPids.join(", ")})` : undefined;
  if (state.ownerPid !== undefined && !isAlive({ pid: state.ownerPid, startTicks: state.ownerStartTicks ?? "" })) {
    return `its owner (pid ${state.ownerPid}) ended without stopping it`;
  }
  const down = state.processes.filter((p) => !isAlive(p)).map((p) => p.name);
  if (down.length > 0) return `stale: ${down.join(", ")} not running`;
  return undefined;
}

/** Stops an orphaned cluster (unless dryRun); returns the reason when there was one. */
export async function sweepCluster(options: { dryRun: boolean; log: (line: string) => void }): Promise<string | undefined> {
  const state = readState();
  const reason = clusterOrphanReason(state, state ? [] : ourProcesses([]));
  if (!reason) return undefined;
  options.log(`${options.dryRun ? "would stop" : "stopping"} the single-node cluster (${reason})`);
  if (!options.dryRun) {
    const tools = builtKubernetesTools();
    const report = await stopCluster(tools.crictl, tools.kubeProxy);
    for (const l of report.left) options.log(`cluster: still there: ${l}`);
  }
  return reason;
}
