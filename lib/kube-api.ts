// The project's one Kubernetes client: @kubernetes/client-node (Apache-2.0) with the local cluster's
// kubeconfig. Only what the driver, chaos and the tests need, in plain shapes, so callers never handle the
// generated API types.
import { PassThrough } from "node:stream";
import * as k8s from "@kubernetes/client-node";

export interface Kube {
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
}

const clients = new Map<string, Kube>();

/** Clients for the cluster a kubeconfig file names (one set per file). */
export function kubeFrom(kubeconfigFile: string): Kube {
  let k = clients.get(kubeconfigFile);
  if (!k) {
    const config = new k8s.KubeConfig();
    config.loadFromFile(kubeconfigFile);
    k = { config, core: config.makeApiClient(k8s.CoreV1Api), apps: config.makeApiClient(k8s.AppsV1Api) };
    clients.set(kubeconfigFile, k);
  }
  return k;
}

export interface PodState {
  name: string;
  uid: string;
  phase: string;
  ready: boolean;
  /** Being deleted (a deletion timestamp is set). */
  deleting: boolean;
  ip: string;
  restarts: number;
}

/** The pods of a workload: those labelled app.kubernetes.io/name=<workload>, by name. */
export async function podsOf(kube: Kube, namespace: string, workload: string): Promise<PodState[]> {
  const list = await kube.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${workload}` });
  return list.items
    .map((p) => ({
      name: p.metadata?.name ?? "",
      uid: p.metadata?.uid ?? "",
      phase: p.status?.phase ?? "Unknown",
      ready: (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
      deleting: p.metadata?.deletionTimestamp !== undefined && p.metadata?.deletionTimestamp !== null,
      ip: p.status?.podIP ?? "",
      restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function deletePod(kube: Kube, namespace: string, name: string, graceSeconds: number): Promise<void> {
  await kube.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: graceSeconds });
}

/** An eviction through the API (what a node drain does): honours PodDisruptionBudgets, answers 429 when one forbids it. */
export async function evictPod(kube: Kube, namespace: string, name: string): Promise<void> {
  await kube.core.createNamespacedPodEviction({ name, namespace, body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } } });
}

export type WorkloadKind = "Deployment" | "StatefulSet";

/** Desired and Ready replicas of a Deployment or StatefulSet of that name. */
export async function replicasOf(kube: Kube, namespace: string, name: string): Promise<{ kind: WorkloadKind; desired: number; ready: number }> {
  const d = await kube.apps.readNamespacedDeployment({ name, namespace }).catch(notFound);
  const w = d ?? (await kube.apps.readNamespacedStatefulSet({ name, namespace }).catch(notFound));
  if (!w) throw new Error(`no Deployment or StatefulSet ${namespace}/${name}`);
  // The controller writes status after the pods change: until it has seen the latest spec, its counts are
  // old ones, so they count as none Ready (a caller polling for Ready must not stop on a stale figure).
  const current = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  return { kind: d ? "Deployment" : "StatefulSet", desired: w.spec?.replicas ?? 1, ready: current ? (w.status?.readyReplicas ?? 0) : 0 };
}

/** Sets a workload's replicas through its scale subresource. */
export async function scale(kube: Kube, namespace: string, name: string, replicas: number): Promise<void> {
  const { kind } = await replicasOf(kube, namespace, name);
  const body = { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name, namespace }, spec: { replicas } };
  if (kind === "Deployment") await kube.apps.replaceNamespacedDeploymentScale({ name, namespace, body });
  else await kube.apps.replaceNamespacedStatefulSetScale({ name, namespace, body });
}

export interface ServiceAddress {
  name: string;
  clusterIp: string;
  ports: number[];
  nodePorts: number[];
}

/** The Services whose selector picks the workload's pods (app.kubernetes.io/name=<workload>). */
export async function servicesOf(kube: Kube, namespace: string, workload: string): Promise<ServiceAddress[]> {
  const list = await kube.core.listNamespacedService({ namespace });
  return list.items
    .filter((s) => s.spec?.selector?.["app.kubernetes.io/name"] === workload && s.spec.clusterIP && s.spec.clusterIP !== "None")
    .map((s) => ({ name: s.metadata?.name ?? "", clusterIp: s.spec!.clusterIP!, ports: (s.spec!.ports ?? []).map((p) => p.port), nodePorts: (s.spec!.ports ?? []).flatMap((p) => (p.nodePort ? [p.nodePort] : [])) }));
}

/** Namespaces carrying a label (the orphan sweep and the leftover checks find a stack's by cp3.stack). */
export async function namespacesWithLabel(kube: Kube, selector: string): Promise<{ name: string; phase: string; labels: Record<string, string>; annotations: Record<string, string> }[]> {
  const list = await kube.core.listNamespace({ labelSelector: selector });
  return list.items.map((n) => ({ name: n.metadata?.name ?? "", phase: n.status?.phase ?? "", labels: n.metadata?.labels ?? {}, annotations: n.metadata?.annotations ?? {} }));
}

export async function deleteNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch(notFound);
}

/**
 * Runs a command in a pod's first container through the API's exec (apiserver to kubelet on loopback, then
 * CRI): output is stdout and stderr together, the exit code from the final status.
 */
export async function execInPod(kube: Kube, namespace: string, pod: string, command: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const spec = await kube.core.readNamespacedPod({ name: pod, namespace });
  const container = spec.spec?.containers[0]?.name ?? "";
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    let status: k8s.V1Status | undefined;
    let socket: { close(): void } | undefined;
    const timer = setTimeout(() => {
      socket?.close();
      reject(new Error(`exec in ${namespace}/${pod} did not finish within ${timeoutMs} ms: ${command.join(" ")}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      // Success carries no exit code; a failure names it in details.causes (reason ExitCode).
      const cause = status?.details?.causes?.find((c) => c.reason === "ExitCode");
      const exitCode = status === undefined ? -1 : status.status === "Success" ? 0 : Number(cause?.message ?? 1);
      // Frames already received may still be on their way through the stream.
      setImmediate(() => resolve({ exitCode, output: Buffer.concat(chunks).toString("utf8") }));
    };
    new k8s.Exec(kube.config)
      .exec(namespace, pod, container, command, out, out, null, false, (s) => (status = s))
      .then((ws) => {
        socket = ws;
        // The status frame comes last but one; the close comes after every output frame.
        ws.on("close", finish);
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
  });
}

/** Undefined for a 404 (the object is not there), the error otherwise. */
export function notFound(err: unknown): undefined {
  const code = (err as { code?: number }).code;
  if (code === 404) return undefined;
  throw err;
}
