// What every testbed pod on Kubernetes shares (not a component): its labels, the Pod Security "restricted"
// settings (REFERENCE.md, Hardening), memory-backed emptyDirs for tmpfs, resources and exec-only probes. One
// place, so every workload and the tests agree on it.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Ownership } from "../labels";
import { SECRETS_DIR } from "../secret-files";
import type { ContainerCheck } from "../service";

import Core = k8s.types.input.core.v1;
export type { Core };

export const PART_OF = "cp3-testbed";
/** The Pod Security Standards version the namespace pins (the cluster runs Kubernetes 1.34). */
export const POD_SECURITY_VERSION = "v1.34";
/** How long the provider waits for a workload to be ready or a Job to complete. */
export const AWAIT = { create: "5m", update: "5m", delete: "2m" };

/** A DNS-1123 label: namespaces, and the names of everything created in one. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label value: at most 63 of letters, digits, '-', '_', '.', starting and ending alphanumeric (no ':'). */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** The label pods are found by (the pipeline: `-l app.kubernetes.io/name=<workload>`); also every selector. */
export const selectorLabels = (workload: string): Record<string, string> => ({ "app.kubernetes.io/name": workload });

/** Labels of every object and pod template: what it is and who owns it. */
export function workloadLabels(owner: Ownership, workload: string, component = workload): Record<string, string> {
  return { ...selectorLabels(workload), "app.kubernetes.io/part-of": PART_OF, "cp3.component": component, "cp3.stack": owner.stack, "cp3.run": owner.run };
}

/** `expires` is an ISO time: label values cannot hold ':', so it is an annotation. */
export const ownershipAnnotations = (owner: Ownership): Record<string, string> => (owner.expires === "" ? {} : { "cp3.expires": owner.expires });

export function objectMeta(owner: Ownership, namespace: pulumi.Input<string>, name: string, component = name): k8s.types.input.meta.v1.ObjectMeta {
  return { name, namespace, labels: workloadLabels(owner, name, component), annotations: ownershipAnnotations(owner) };
}

/** "uid:gid" as numbers: kubelet can only check runAsNonRoot against a numeric user. */
export function parseUser(user: string): { uid: number; gid: number } {
  const [uid, gid] = user.split(":").map(Number);
  return { uid: uid!, gid: gid! };
}

/** Pod-level part of the restricted profile; fsGroup makes emptyDirs and Secret files the user's group. */
export function podSecurity(user: string): Core.PodSecurityContext {
  const { uid, gid } = parseUser(user);
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: "RuntimeDefault" } };
}

/** Container-level part: no escalation, no capabilities, read-only root (writable paths are emptyDirs). */
export function containerSecurity(user: string): Core.SecurityContext {
  const { uid, gid } = parseUser(user);
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Limits as on Docker (memoryMiB, cpus). Requests are a fraction of them: on a single small node the sum of the
 * limits is more than it has, and a request the node cannot meet leaves the pod Pending.
 */
export function resources(memoryMiB: number, cpus: number): Core.ResourceRequirements {
  return {
    limits: { memory: `${memoryMiB}Mi`, cpu: `${Math.round(cpus * 1000)}m` },
    requests: { memory: `${Math.ceil(memoryMiB / 4)}Mi`, cpu: `${Math.max(10, Math.round(cpus * 100))}m` },
  };
}

/** The Kubernetes form of a tmpfs: a memory-backed emptyDir, counted against the pod's memory limit. */
export const memoryVolume = (name: string, sizeMiB: number): Core.Volume => ({ name, emptyDir: { medium: "Memory", sizeLimit: `${sizeMiB}Mi` } });

/**
 * A literal for a container's command, args or env: Kubernetes expands `$(VAR)` there and reads `$$` as `$`,
 * so every `$` is doubled and the value reaches the process exactly as written.
 */
export const literal = (value: string): string => value.replaceAll("$", () => "$$");

/**
 * A check run inside the container (kubelet never connects to a pod's address from the host): HTTP with curl on
 * 127.0.0.1, TCP with bash's /dev/tcp, or the command itself.
 */
export function execCheck(c: ContainerCheck): string[] {
  if ("http" in c) return ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", `http://127.0.0.1:${c.http.port}${c.http.path}`];
  if ("tcp" in c) return ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${c.tcp.port}`];
  return c.command;
}

/** Probes from checks: startup (up to 60 s) and readiness from the readiness check, liveness from the health check. */
export function probes(readiness: ContainerCheck | undefined, liveness: ContainerCheck | undefined): Pick<Core.Container, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  const exec = (c: ContainerCheck) => ({ exec: { command: execCheck(c) }, timeoutSeconds: 2 });
  const started = readiness ?? liveness;
  return {
    startupProbe: started ? { ...exec(started), periodSeconds: 2, failureThreshold: 30 } : undefined,
    readinessProbe: readiness ? { ...exec(readiness), periodSeconds: 2, failureThreshold: 3, successThreshold: 1 } : undefined,
    livenessProbe: liveness ? { ...exec(liveness), periodSeconds: 5, failureThreshold: 3 } : undefined,
  };
}

/** The pod spec fields every testbed pod has: no service account token, no service env links, restricted. */
export function podBase(user: string): Pick<Core.PodSpec, "automountServiceAccountToken" | "enableServiceLinks" | "securityContext" | "terminationGracePeriodSeconds"> {
  return { automountServiceAccountToken: false, enableServiceLinks: false, securityContext: podSecurity(user), terminationGracePeriodSeconds: 10 };
}

export interface OneShotPod {
  readonly owner: Ownership;
  readonly namespace: pulumi.Input<string>;
  /** The Job's name, also its pods' app.kubernetes.io/name. */
  readonly workload: string;
  readonly image: pulumi.Input<string>;
  readonly command: string[];
  readonly env: Core.EnvVar[];
  readonly user: string;
  /** @default none */
  readonly secretFiles?: SecretFilesFrom;
  /** Names in the pod's /etc/hosts (the cluster may have no DNS): how clients reach servers by certificate name. @default none */
  readonly hostAliases?: pulumi.Input<Core.HostAlias[]>;
}

/** Files from a Secret (its keys -> file names in SECRETS_DIR), readable by the pod's group only (fsGroup). */
export interface SecretFilesFrom {
  readonly secretName: pulumi.Input<string>;
  /** Secret key -> file name. */
  readonly files: Readonly<Record<string, string>>;
}

/** The volume and mount that put `from`'s files in SECRETS_DIR, or none. */
export function secretFilesVolume(from: SecretFilesFrom | undefined): { volumes: Core.Volume[]; volumeMounts: Core.VolumeMount[] } {
  if (!from || Object.keys(from.files).length === 0) return { volumes: [], volumeMounts: [] };
  const items = Object.entries(from.files).map(([key, path]) => ({ key, path }));
  return {
    volumes: [{ name: "secrets", secret: { secretName: from.secretName, defaultMode: 0o440, items } }],
    volumeMounts: [{ name: "secrets", mountPath: SECRETS_DIR, readOnly: true }],
  };
}

/** A Job's spec: a restricted pod run to completion, retried twice at most and bounded in time; never deleted by a TTL (the state would lose it). */
export function oneShotJob(p: OneShotPod): k8s.types.input.batch.v1.Job {
  const secrets = secretFilesVolume(p.secretFiles);
  return {
    metadata: objectMeta(p.owner, p.namespace, p.workload),
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 300,
      template: {
        metadata: { labels: workloadLabels(p.owner, p.workload) },
        spec: {
          ...podBase(p.user),
          ...(p.hostAliases ? { hostAliases: p.hostAliases } : {}),
          restartPolicy: "Never",
          containers: [
            {
              name: p.workload,
              image: p.image,
              imagePullPolicy: "Never",
              command: p.command,
              env: p.env,
              resources: resources(256, 0.5),
              securityContext: containerSecurity(p.user),
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...secrets.volumeMounts],
            },
          ],
          volumes: [memoryVolume("tmp", 16), ...secrets.volumes],
        },
      },
    },
  };
}
