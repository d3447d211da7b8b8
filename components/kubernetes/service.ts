import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Ownership } from "../labels";
import type { ContainerCheck } from "../service";
import { AWAIT, DNS_LABEL, containerSecurity, literal, memoryVolume, objectMeta, podBase, probes, resources, secretFilesVolume, selectorLabels, workloadLabels, type SecretFilesFrom } from "./pod";


export interface KubernetesServiceArgs {
  readonly owner: Ownership;
  readonly namespace: pulumi.Input<string>;
  /** The image as the local engine names it, imported into the node (NodeImage). */
  readonly image: pulumi.Input<string>;
  /** Pods of the Deployment. @default 1 */
  readonly replicas?: number;
  /** Replaces the image's CMD (the container's args; the image's entry point stays), as on Docker. */
  readonly command?: string[];
  /** Environment, after the pod name; `{{instance}}` in a value becomes the pod's name. @default {} */
  readonly env?: Record<string, pulumi.Input<string>>;
  /** Secrets as files in /run/secrets, from a Secret's keys; never variables. @default none */
  readonly secretFiles?: SecretFilesFrom;
  /** Names in the pods' /etc/hosts (the cluster may have no DNS), e.g. the servers' certificate names. @default none */
  readonly hostAliases?: pulumi.Input<k8s.types.input.core.v1.HostAlias[]>;
  /** Container ports, all on the service's ClusterIP Service. @default [] */
  readonly ports?: number[];
  /** The entry: this port also on a NodePort Service (the cluster publishes on 127.0.0.1); 0 lets the cluster pick. */
  readonly entry?: { port: number; nodePort: number };
  /** Gates startup and readiness (and dependants). */
  readonly readiness?: ContainerCheck;
  /** Restarts the container when it fails. */
  readonly liveness?: ContainerCheck;
  /** Writable memory-backed emptyDirs (path → MiB); the root filesystem is read-only. @default {} */
  readonly tmpfs?: Record<string, number>;
  /** Writable paths kept across a restart of the container (an emptyDir on the node's disk: the pod's). @default {} */
  readonly volumes?: Record<string, number>;
  /** Numeric uid:gid. @default "10002:10002" */
  readonly user?: string;
  /** @default 256 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
  /**
   * What must be complete or ready before the Deployment is created (Jobs, other workloads). Only the Deployment
   * waits: the ClusterIP Service comes first, so services may point at each other's address both ways.
   */
  readonly after?: pulumi.Input<pulumi.Resource>[];
}

const POD_NAME = "CP3_POD_NAME";

function envVar(key: string, v: pulumi.Input<string>): k8s.types.input.core.v1.EnvVar {
  // In a preview an address the cluster has not assigned yet is undefined; the update fills it in.
  return { name: key, value: pulumi.output(v).apply((s) => (s === undefined ? (s as unknown as string) : literal(s).replaceAll("{{instance}}", `$(${POD_NAME})`))) };
}

/** One service of the system under test: a hardened Deployment, a ClusterIP Service, and for the entry a NodePort Service. */
export class KubernetesService extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;
  /** The Deployment's name; its pods carry app.kubernetes.io/name=<name>. */
  public readonly workloadName: pulumi.Output<string>;
  /** The ClusterIP Service's address; "" for a service without ports. */
  public readonly clusterIp: pulumi.Output<string>;
  /** http://127.0.0.1:<nodePort> of the entry port, when the service has one. */
  public readonly url: pulumi.Output<string | undefined>;

  constructor(name: string, args: KubernetesServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:Service", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const user = args.user ?? "10002:10002";
    const ports = args.ports ?? [];
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name) || !DNS_LABEL.test(name)) throw new pulumi.ResourceError(`Service ${name}: the name must be lower-case letters, digits and '-', starting with a letter, not ending with '-'`, this);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new pulumi.ResourceError(`Service ${name}: replicas is ${replicas}; give an integer from 1 to 16`, this);
    if (!/^[1-9][0-9]*:[0-9]+$/.test(user)) throw new pulumi.ResourceError(`Service ${name}: user is "${user}"; give a numeric uid:gid other than root`, this);
    if (args.entry) {
      const { port, nodePort } = args.entry;
      if (!ports.includes(port)) throw new pulumi.ResourceError(`Service ${name}: entry.port ${port} is not one of ports (${ports.join(", ") || "none"}); give one of them`, this);
      if (nodePort !== 0 && (!Number.isInteger(nodePort) || nodePort < 30000 || nodePort > 32767)) throw new pulumi.ResourceError(`Service ${name}: entry.nodePort is ${nodePort}; give 0 (cluster-picked) or a port from 30000 to 32767`, this);
    }
    const { owner, namespace } = args;
    const tmpfs = Object.entries(args.tmpfs ?? {});
    const kept = Object.entries(args.volumes ?? {});

    const env = [{ name: POD_NAME, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }, ...Object.entries(args.env ?? {}).map(([k, v]) => envVar(k, v))];
    const secrets = secretFilesVolume(args.secretFiles);

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: objectMeta(owner, namespace, name),
        spec: {
          replicas,
          selector: { matchLabels: selectorLabels(name) },
          template: {
            metadata: { labels: workloadLabels(owner, name) },
            spec: {
              ...podBase(user),
              ...(args.hostAliases ? { hostAliases: args.hostAliases } : {}),
              containers: [
                {
                  name,
                  image: args.image,
                  imagePullPolicy: "Never",
                  args: args.command?.map(literal),
                  env,
                  ports: ports.map((p) => ({ containerPort: p })),
                  ...probes(args.readiness, args.liveness),
                  resources: resources(args.memoryMiB ?? 256, args.cpus ?? 0.5),
                  securityContext: containerSecurity(user),
                  volumeMounts: [...tmpfs.map(([path], i) => ({ name: `tmp-${i}`, mountPath: path })), ...kept.map(([path], i) => ({ name: `kept-${i}`, mountPath: path })), ...secrets.volumeMounts],
                },
              ],
              volumes: [...tmpfs.map(([, mib], i) => memoryVolume(`tmp-${i}`, mib)), ...kept.map(([, mib], i) => ({ name: `kept-${i}`, emptyDir: { sizeLimit: `${mib}Mi` } })), ...secrets.volumes],
            },
          },
        },
      },
      { parent: this, dependsOn: args.after, deleteBeforeReplace: true, customTimeouts: AWAIT },
    );
    this.workloadName = this.deployment.metadata.name;

    const servicePorts = ports.map((p) => ({ name: `p-${p}`, port: p, targetPort: p }));
    this.clusterIp =
      ports.length === 0
        ? pulumi.output("")
        : new k8s.core.v1.Service(`${name}-service`, { metadata: objectMeta(owner, namespace, name), spec: { type: "ClusterIP", selector: selectorLabels(name), ports: servicePorts } }, { parent: this }).spec.clusterIP;

    const entry = args.entry;
    if (!entry) {
      this.url = pulumi.output(undefined);
    } else {
      const nodePortService = new k8s.core.v1.Service(
        `${name}-entry`,
        {
          metadata: objectMeta(owner, namespace, `${name}-entry`, name),
          spec: { type: "NodePort", selector: selectorLabels(name), ports: [{ name: "entry", port: entry.port, targetPort: entry.port, nodePort: entry.nodePort === 0 ? undefined : entry.nodePort }] },
        },
        { parent: this, dependsOn: [this.deployment] },
      );
      this.url = nodePortService.spec.ports.apply((ps) => {
        const nodePort = (ps ?? []).find((p) => p.name === "entry")?.nodePort;
        // A preview has no node port yet (the cluster assigns it on create); an update without one is an error.
        if (!nodePort && pulumi.runtime.isDryRun()) return "http://127.0.0.1:0";
        if (!nodePort) throw new Error(`Service ${name}: the cluster reported no node port for ${entry.port}`);
        return `http://127.0.0.1:${nodePort}`;
      });
    }
    this.registerOutputs({ workloadName: this.workloadName, clusterIp: this.clusterIp, url: this.url });
  }
}
