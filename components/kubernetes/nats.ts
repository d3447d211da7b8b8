import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NATS_CLIENT_PORT, NATS_CLUSTER_PORT, NATS_MONITOR_PORT, natsTlsLines, type NatsSizing } from "../nats";
import { tlsServerFiles, type TlsServerFiles } from "../secret-files";
import { AWAIT, containerSecurity, literal, memoryVolume, objectMeta, podBase, probes, resources, secretFilesVolume, selectorLabels, workloadLabels } from "./pod";

const NATS_USER = "10001:10001";
// nats-server keeps JetStream in <store_dir>/jetstream; the image's entry point writes the config to /run/nats.
const STORE_DIR = "/data";
export const NATS_WORKLOAD = "nats";
/** The Secret of the servers' TLS files (certificate, key, CA), when they require TLS. */
export const NATS_TLS_SECRET = "nats-tls";

/** The image is the one imported into the node. */
export interface KubernetesNatsArgs extends NatsSizing {
  readonly namespace: pulumi.Input<string>;
  /** Clients must connect over TLS with this certificate (its names must cover every name they use). @default plain TCP */
  readonly tls?: TlsServerFiles;
}

/**
 * The nats-server configuration. The server's name is its pod's (`$CP3_POD_NAME`, read by nats-server from the
 * environment); routes go to each server's own ClusterIP, since the cluster may have no DNS. no_advertise keeps
 * pod addresses out of what clients are told, so a client on the host only ever uses the address it was given.
 */
export function renderKubernetesNatsConfig(storeMiB: number, routeIps: string[], tls = false): string {
  const maxFileStore = Math.floor(storeMiB * 0.9) * 1024 * 1024;
  const lines = [
    "server_name: $CP3_POD_NAME",
    `port: ${NATS_CLIENT_PORT}`,
    `http_port: ${NATS_MONITOR_PORT}`,
    "jetstream {",
    `  store_dir: "${STORE_DIR}"`,
    `  max_file_store: ${maxFileStore}`,
    "  max_memory_store: 0",
    "}",
  ];
  if (tls) lines.push(...natsTlsLines());
  if (routeIps.length > 1) {
    const routes = routeIps.map((ip) => `    "nats://${ip}:${NATS_CLUSTER_PORT}"`);
    lines.push("cluster {", '  name: "cp3"', `  listen: "0.0.0.0:${NATS_CLUSTER_PORT}"`, "  no_advertise: true", "  routes: [", ...routes, "  ]", "}");
  }
  return lines.join("\n");
}

/**
 * NATS with JetStream on a memory-backed emptyDir (tmpfs: wiped when the pod goes, the failure the testbed must
 * survive), as a StatefulSet of 1 or 3 servers. Each server has its own ClusterIP Service (selected by its pod
 * name) and is addressed by that IP: routes, jobs, Toxiproxy and services never need DNS.
 */
export class KubernetesNats extends pulumi.ComponentResource {
  /** The StatefulSet's name; its pods are `<name>-<i>` and carry app.kubernetes.io/name=<name>. */
  public readonly workloadName: pulumi.Output<string>;
  /** Each server's own ClusterIP. */
  public readonly serverIps: pulumi.Output<string>[];
  /** nats://<ClusterIP>:4222, one per server. */
  public readonly clientUrls: pulumi.Output<string>[];
  /** The Secret holding the TLS files (its `tls-ca` key is the CA clients verify with); undefined without TLS. */
  public readonly tlsSecretName: pulumi.Output<string> | undefined;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: KubernetesNatsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:Nats", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const storeMiB = args.storeMiB ?? 256;
    const memoryMiB = args.memoryMiB ?? 512;
    const cpus = args.cpus ?? 1;
    if (replicas !== 1 && replicas !== 3) throw new pulumi.ResourceError(`Nats ${name}: replicas is ${String(replicas)}; give 1 or 3 (a JetStream cluster needs a majority)`, this);
    if (!Number.isInteger(storeMiB) || storeMiB < 16) throw new pulumi.ResourceError(`Nats ${name}: storeMiB is ${storeMiB}; give an integer of at least 16`, this);
    if (memoryMiB < storeMiB + 64) throw new pulumi.ResourceError(`Nats ${name}: memoryMiB is ${memoryMiB} but the ${storeMiB} MiB memory-backed store counts against it; give at least ${storeMiB + 64}`, this);
    if (!(cpus > 0)) throw new pulumi.ResourceError(`Nats ${name}: cpus is ${cpus}; give a number above 0`, this);
    const { owner, namespace } = args;
    const workload = NATS_WORKLOAD;
    const ports = [
      { name: "client", port: NATS_CLIENT_PORT, targetPort: NATS_CLIENT_PORT },
      { name: "cluster", port: NATS_CLUSTER_PORT, targetPort: NATS_CLUSTER_PORT },
      { name: "monitor", port: NATS_MONITOR_PORT, targetPort: NATS_MONITOR_PORT },
    ];

    // The StatefulSet's governing Service (a required field); headless, nothing resolves it without DNS.
    const governing = new k8s.core.v1.Service(`${name}-governing`, { metadata: objectMeta(owner, namespace, workload), spec: { clusterIP: "None", selector: selectorLabels(workload), ports } }, { parent: this });
    const perPod = Array.from({ length: replicas }, (_, i) => {
      const pod = `${workload}-${i}`;
      return new k8s.core.v1.Service(
        `${name}-${i}`,
        { metadata: objectMeta(owner, namespace, pod, workload), spec: { type: "ClusterIP", selector: { ...selectorLabels(workload), "statefulset.kubernetes.io/pod-name": pod }, ports } },
        { parent: this },
      );
    });
    this.serverIps = perPod.map((s) => s.spec.clusterIP);
    const config = pulumi.all(this.serverIps).apply((ips) => literal(renderKubernetesNatsConfig(storeMiB, ips, args.tls !== undefined)));
    // The certificate, its key and the CA as files in /run/secrets, as on Docker; readable by the server's group.
    const tlsFiles = args.tls ? tlsServerFiles(args.tls) : undefined;
    const tlsSecret = tlsFiles
      ? new k8s.core.v1.Secret(`${name}-tls`, { metadata: objectMeta(owner, namespace, NATS_TLS_SECRET, workload), type: "Opaque", stringData: Object.fromEntries(Object.entries(tlsFiles).map(([k, v]) => [k, pulumi.secret(v)])) }, { parent: this })
      : undefined;
    const tlsMount = secretFilesVolume(tlsSecret && tlsFiles ? { secretName: tlsSecret.metadata.name, files: Object.fromEntries(Object.keys(tlsFiles).map((k) => [k, k])) } : undefined);
    this.tlsSecretName = tlsSecret?.metadata.name;

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-servers`,
      {
        metadata: objectMeta(owner, namespace, workload),
        spec: {
          serviceName: governing.metadata.name,
          replicas,
          // A cluster's servers start together: one alone is never ready (no JetStream meta leader).
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selectorLabels(workload) },
          template: {
            metadata: { labels: workloadLabels(owner, workload) },
            spec: {
              ...podBase(NATS_USER),
              containers: [
                {
                  name: "nats",
                  image: args.image,
                  imagePullPolicy: "Never",
                  env: [
                    { name: "CP3_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    { name: "NATS_CONFIG", value: config },
                  ],
                  ports: ports.map((p) => ({ name: p.name, containerPort: p.port })),
                  ...probes({ http: { port: NATS_MONITOR_PORT, path: "/healthz?js-enabled-only=true" } }, undefined),
                  resources: resources(memoryMiB, cpus),
                  securityContext: containerSecurity(NATS_USER),
                  volumeMounts: [{ name: "store", mountPath: STORE_DIR }, { name: "run", mountPath: "/run/nats" }, ...tlsMount.volumeMounts],
                },
              ],
              volumes: [memoryVolume("store", storeMiB), memoryVolume("run", 1), ...tlsMount.volumes],
            },
          },
        },
      },
      { parent: this, deleteBeforeReplace: true, customTimeouts: AWAIT },
    );
    this.workloadName = this.statefulSet.metadata.name;
    this.clientUrls = this.serverIps.map((ip) => pulumi.interpolate`nats://${ip}:${NATS_CLIENT_PORT}`);
    this.registerOutputs({ workloadName: this.workloadName, serverIps: this.serverIps, clientUrls: this.clientUrls });
  }
}
