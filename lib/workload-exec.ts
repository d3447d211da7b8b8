// Running a command inside the system under test, whatever it runs on: in a Docker container by name, or in
// a Ready pod of a Kubernetes workload. The SQL oracle (psql inside PostgreSQL), the HTTP oracle and the http
// probe (curl inside the service) go through here, so nothing but the published entry is reached from the host.
import * as docker from "./docker-api";
import { execInPod, kubeFrom, podsOf } from "./kube-api";

export type ExecIn = (target: string, command: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;

export const inDockerContainer: ExecIn = (container, command, timeoutMs) => docker.exec(container, command, timeoutMs);

/** In the first Ready pod of the workload named `target` (pods labelled app.kubernetes.io/name=<target>). */
export function inKubernetesWorkload(kubeconfigFile: string, namespace: string): ExecIn {
  return async (workload, command, timeoutMs) => {
    const kube = kubeFrom(kubeconfigFile);
    const pods = await podsOf(kube, namespace, workload);
    const pod = pods.find((p) => p.ready && !p.deleting) ?? pods.find((p) => p.phase === "Running" && !p.deleting);
    if (!pod) throw new Error(`workload ${namespace}/${workload} has no running pod to run ${command[0]} in (${pods.length} pod(s): ${pods.map((p) => `${p.name} ${p.phase}`).join(", ") || "none"})`);
    return execInPod(kube, namespace, pod.name, command, timeoutMs);
  };
}
