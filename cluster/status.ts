// `cluster status`: each recorded process up or down, the node's Ready condition, the kubeconfig.
import { builtKubernetesTools } from "../toolchain/kubernetes/build";
import { NODE_NAME, PORTS, files } from "./layout";
import { getStatus } from "./probe";
import { isAlive, readState } from "./processes";

export interface ClusterStatus {
  /** Every process of ours running and the node Ready. */
  up: boolean;
  processes: { name: string; pid: number; running: boolean; log: string }[];
  nodeReady: boolean;
  /** Why the node is not Ready, when the API server said. */
  nodeMessage?: string;
  kubeconfig: string;
  /** kubectl of the same version, when built: `kubectl --kubeconfig <kubeconfig> ...`. */
  kubectl?: string;
  startedAt?: string;
}

export async function readClusterStatus(): Promise<ClusterStatus> {
  const state = readState();
  const processes = (state?.processes ?? []).map((p) => ({ name: p.name, pid: p.pid, running: isAlive(p), log: p.log }));
  let nodeReady = false;
  let nodeMessage: string | undefined;
  if (processes.some((p) => p.name === "kube-apiserver" && p.running)) {
    const r = await getStatus(`https://127.0.0.1:${PORTS.apiserver}/api/v1/nodes/${NODE_NAME}`, true);
    if (r.status === 200) {
      const ready = (JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string; message?: string }[] } }).status?.conditions?.find((c) => c.type === "Ready");
      nodeReady = ready?.status === "True";
      if (!nodeReady) nodeMessage = ready?.message ?? "no Ready condition yet";
    } else nodeMessage = `the API server answered ${r.status || "nothing"} for node ${NODE_NAME}`;
  }
  return {
    up: processes.length > 0 && processes.every((p) => p.running) && nodeReady,
    processes,
    nodeReady,
    nodeMessage,
    kubeconfig: files.kubeconfig("admin"),
    kubectl: builtKubernetesTools().kubectl,
    startedAt: state?.startedAt,
  };
}
