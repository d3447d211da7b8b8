// What the chaos engine reads from, and does through, the local Kubernetes cluster: lib/kube-api with the
// cluster's kubeconfig, and a pod's process on the host (its network namespace) from the node's runtime.
import * as fs from "node:fs";
import { kubeconfigPath, podNetns } from "../cluster";
import * as api from "../lib/kube-api";

export type { PodState, ServiceAddress } from "../lib/kube-api";

const kube = () => api.kubeFrom(kubeconfigPath());

export const podsOf = (ns: string, workload: string) => api.podsOf(kube(), ns, workload);
export const deletePod = (ns: string, name: string, graceSeconds: number) => api.deletePod(kube(), ns, name, graceSeconds);
export const evictPod = (ns: string, name: string) => api.evictPod(kube(), ns, name);
export const replicasOf = (ns: string, workload: string) => api.replicasOf(kube(), ns, workload);
export const scale = (ns: string, workload: string, replicas: number) => api.scale(kube(), ns, workload, replicas);
export const servicesOf = (ns: string, workload: string) => api.servicesOf(kube(), ns, workload);

/** The host PID of the pod's sandbox (its pause process), whose network namespace is the pod's. */
export const podPid = async (ns: string, pod: string): Promise<number> => (await podNetns(`${ns}/${pod}`)).pid;

/** The process still exists (a deleted pod takes its namespace, and any rules in it, along). */
export const pidAlive = async (pid: number): Promise<boolean> => fs.existsSync(`/proc/${pid}`);
