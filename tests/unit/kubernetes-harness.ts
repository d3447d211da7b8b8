// Declares a KubernetesTestbed under Pulumi's mocks (one per test file: vitest isolates files) and records every
// resource; the mocks compute what the cluster would (ClusterIPs, NodePorts, generated names). Also the checks
// the Kubernetes tests share: the restricted Pod Security profile, exec-only probes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TestbedSpec } from "../../testbed/spec";
import type { KubernetesTestbed, KubernetesTestbedArgs } from "../../components/kubernetes/testbed";
import { fakeToolchain } from "./program-harness";
import { settle, registryOf, unwrapSecrets, valueOf, type MockRegistry, type Recorded } from "./mock-registry";

export const K = {
  namespace: "kubernetes:core/v1:Namespace",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  job: "kubernetes:batch/v1:Job",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  nodeImage: "pulumi-nodejs:dynamic/cp3:NodeImage",
} as const;

type Obj = Record<string, unknown>;

/** `preview`: as `pulumi up`'s first pass, where the cluster has assigned no ClusterIP or node port yet. */
export async function installKubernetesMocks(stack: string, preview = false): Promise<MockRegistry> {
  const resources: Recorded[] = [];
  let nextIp = 10;
  let nextNodePort = 30100;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = unwrapSecrets(args.inputs) as Obj;
        resources.push({ type: args.type, name: args.name, inputs });
        const state: Obj = { ...args.inputs };
        if (args.type.startsWith("kubernetes:")) {
          const metadata = { ...((args.inputs.metadata as Obj | undefined) ?? {}) };
          metadata.name ??= `${args.name}-1a2b3c4d`;
          state.metadata = metadata;
        }
        if (args.type === K.service && !preview) {
          const spec = args.inputs.spec as Obj;
          const nodePorts = spec.type === "NodePort";
          state.spec = {
            ...spec,
            clusterIP: spec.clusterIP ?? `10.96.0.${nextIp++}`,
            ports: (spec.ports as Obj[]).map((p) => (nodePorts ? { ...p, nodePort: p.nodePort ?? nextNodePort++ } : p)),
          };
        }
        if (args.type === "pulumi:index:Stash") state.output = args.inputs.input;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "cp3-testbed",
    stack,
    preview,
  );
  return registryOf(resources);
}

export { valueOf };


export const owner = (stack: string) => ({ stack, run: "run-1", expires: "2026-11-24T12:00:00Z" });

export async function declareKubernetesTestbed(stack: string, spec: TestbedSpec, extra: Partial<KubernetesTestbedArgs> = {}, preview = false) {
  process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
  const registry = await installKubernetesMocks(stack, preview);
  const { KubernetesTestbed: Testbed } = await import("../../components/kubernetes/testbed");
  const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
  const testbed: KubernetesTestbed = new Testbed(
    "testbed",
    { owner: owner(stack), spec, rootImage: "cp3/debian:bookworm-0123456789ab", containerdAddress: "/run/cp3-k8s/containerd.sock", ...extra },
    { provider },
  );
  const outputs = Object.fromEntries(await Promise.all(Object.entries(testbed.outputs).map(async ([k, o]) => [k, await valueOf(o as pulumi.Output<unknown>)])));
  await settle(registry);
  return { registry, testbed, outputs };
}

/** Every pod template the testbed declares (Deployments, StatefulSets, Jobs), by workload name. */
export function podTemplates(registry: MockRegistry): { name: string; kind: string; labels: Record<string, string>; spec: Obj }[] {
  return [K.deployment, K.statefulSet, K.job].flatMap((type) =>
    registry.byType(type).map((r) => {
      const template = ((r.inputs.spec as Obj).template as Obj);
      return { name: (r.inputs.metadata as Obj).name as string, kind: type.split(":")[2]!, labels: ((template.metadata as Obj).labels as Record<string, string>), spec: template.spec as Obj };
    }),
  );
}

const ALLOWED_VOLUMES = ["emptyDir", "secret", "configMap", "projected", "downwardAPI", "persistentVolumeClaim", "csi", "ephemeral"];

/**
 * What the Pod Security "restricted" profile (v1.34) would refuse, plus the testbed's own rules (read-only root,
 * no service account token, local images only). Empty when the pod passes.
 */
export function restrictedProblems(name: string, pod: Obj): string[] {
  const problems: string[] = [];
  const podSc = (pod.securityContext as Obj | undefined) ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${name}: host namespaces`);
  if (pod.automountServiceAccountToken !== false) problems.push(`${name}: service account token mounted`);
  for (const v of (pod.volumes as Obj[] | undefined) ?? []) {
    const kind = Object.keys(v).find((k) => k !== "name")!;
    if (!ALLOWED_VOLUMES.includes(kind)) problems.push(`${name}: volume ${String(v.name)} is ${kind}`);
  }
  const containers = [...((pod.containers as Obj[] | undefined) ?? []), ...((pod.initContainers as Obj[] | undefined) ?? [])];
  if (containers.length === 0) problems.push(`${name}: no containers`);
  for (const c of containers) {
    const at = `${name}/${String(c.name)}`;
    const sc = { ...podSc, ...((c.securityContext as Obj | undefined) ?? {}) };
    if (sc.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot`);
    if (!Number.isInteger(sc.runAsUser) || (sc.runAsUser as number) <= 0) problems.push(`${at}: runAsUser ${String(sc.runAsUser)} not a numeric non-root uid`);
    if (!["RuntimeDefault", "Localhost"].includes(((sc.seccompProfile as Obj | undefined)?.type as string) ?? "")) problems.push(`${at}: seccompProfile`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation`);
    if (sc.privileged === true) problems.push(`${at}: privileged`);
    const caps = (sc.capabilities as { drop?: string[]; add?: string[] } | undefined) ?? {};
    if (!(caps.drop ?? []).includes("ALL")) problems.push(`${at}: capabilities not dropped`);
    if ((caps.add ?? []).some((x) => x !== "NET_BIND_SERVICE")) problems.push(`${at}: capabilities added ${String(caps.add)}`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: writable root filesystem`);
    for (const p of (c.ports as Obj[] | undefined) ?? []) if (p.hostPort !== undefined) problems.push(`${at}: hostPort ${String(p.hostPort)}`);
    if (c.imagePullPolicy !== "Never") problems.push(`${at}: imagePullPolicy ${String(c.imagePullPolicy)}`);
    const resources = (c.resources as { limits?: Obj } | undefined)?.limits ?? {};
    if (!resources.memory || !resources.cpu) problems.push(`${at}: no memory or CPU limit`);
  }
  return problems;
}

/** Probes that would make kubelet connect to the pod from the host (anything but exec). */
export function nonExecProbes(name: string, pod: Obj): string[] {
  const problems: string[] = [];
  for (const c of (pod.containers as Obj[] | undefined) ?? []) {
    for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const probe = c[kind] as Obj | undefined;
      if (probe && (!probe.exec || probe.httpGet || probe.tcpSocket || probe.grpc)) problems.push(`${name}/${String(c.name)}: ${kind} is not exec`);
    }
  }
  return problems;
}

export const envOf = (pod: Obj, container = 0) => ((pod.containers as Obj[])[container]!.env as { name: string; value?: string; valueFrom?: Obj }[]) ?? [];
