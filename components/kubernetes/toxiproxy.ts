import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Ownership } from "../labels";
import { TOXIPROXY_API_PORT } from "../toxiproxy";
import { AWAIT, containerSecurity, memoryVolume, objectMeta, podBase, probes, resources, selectorLabels, workloadLabels } from "./pod";

const TOXIPROXY_USER = "10004:10004";
const CONFIG_DIR = "/etc/toxiproxy";
export const TOXIPROXY_WORKLOAD = "toxiproxy";

export interface KubernetesProxySpec {
  /** The proxy's name in Toxiproxy's API (chaos experiments address it by this name). */
  readonly name: string;
  /** Port Toxiproxy listens on in its pod, from 1024 to 32767 (not 8474). */
  readonly listenPort: number;
  /** <ClusterIP>:<port> of the upstream. */
  readonly upstream: pulumi.Input<string>;
  /** Reachable from the host: on the NodePort Service (127.0.0.1 only); otherwise on the ClusterIP Service. */
  readonly publish: boolean;
}

export interface KubernetesToxiproxyArgs {
  readonly owner: Ownership;
  readonly namespace: pulumi.Input<string>;
  readonly image: pulumi.Input<string>;
  readonly proxies: KubernetesProxySpec[];
  /** @default 128 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

/** A Service port name: at most 15 characters, so by port number rather than by proxy name. */
const portName = (port: number) => `p-${port}`;

/**
 * Toxiproxy between the services and NATS/PostgreSQL (link proxies, on a ClusterIP Service) and the host's way
 * in (its API and the host-access proxies, on a NodePort Service, which the cluster publishes on 127.0.0.1
 * only). Its proxies come from a ConfigMap mounted as a file; a new config is a new ConfigMap and a rollout.
 */
export class KubernetesToxiproxy extends pulumi.ComponentResource {
  public readonly workloadName: pulumi.Output<string>;
  /** The link proxies' ClusterIP, what services are wired to. */
  public readonly clusterIp: pulumi.Output<string>;
  /** http://127.0.0.1:<nodePort> of the API. */
  public readonly apiUrl: pulumi.Output<string>;
  /** Published proxies: name -> 127.0.0.1:<nodePort>. */
  public readonly hostEndpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: KubernetesToxiproxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:Toxiproxy", name, {}, opts);
    const seen = new Set<number>();
    for (const p of args.proxies) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(p.name)) throw new pulumi.ResourceError(`Toxiproxy ${name}: proxy name "${p.name}" must be lower-case letters, digits and '-'`, this);
      if (p.listenPort === TOXIPROXY_API_PORT || seen.has(p.listenPort) || p.listenPort < 1024 || p.listenPort > 32767) {
        throw new pulumi.ResourceError(`Toxiproxy ${name}: proxy ${p.name} listenPort ${p.listenPort} is taken or out of range; give a free port from 1024 to 32767 (not ${TOXIPROXY_API_PORT})`, this);
      }
      seen.add(p.listenPort);
    }
    const { owner, namespace } = args;
    const workload = TOXIPROXY_WORKLOAD;
    const links = args.proxies.filter((p) => !p.publish);
    const published = args.proxies.filter((p) => p.publish);

    const proxiesJson = pulumi
      .all(args.proxies.map((p) => pulumi.output(p.upstream).apply((upstream) => ({ name: p.name, listen: `0.0.0.0:${p.listenPort}`, upstream, enabled: true }))))
      .apply((list) => JSON.stringify(list));
    // Named by Pulumi (a suffix), so a changed config is a new ConfigMap and the Deployment rolls.
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: { namespace, labels: workloadLabels(owner, workload) }, data: { "proxies.json": proxiesJson } }, { parent: this });

    const deployment = new k8s.apps.v1.Deployment(
      `${name}-server`,
      {
        metadata: objectMeta(owner, namespace, workload),
        spec: {
          replicas: 1,
          selector: { matchLabels: selectorLabels(workload) },
          template: {
            metadata: { labels: workloadLabels(owner, workload) },
            spec: {
              ...podBase(TOXIPROXY_USER),
              containers: [
                {
                  name: "toxiproxy",
                  image: args.image,
                  imagePullPolicy: "Never",
                  command: ["/usr/bin/tini", "--", "/usr/local/bin/toxiproxy-server", "-host", "0.0.0.0", "-port", String(TOXIPROXY_API_PORT), "-config", `${CONFIG_DIR}/proxies.json`],
                  ports: [{ name: "api", containerPort: TOXIPROXY_API_PORT }, ...args.proxies.map((p) => ({ name: portName(p.listenPort), containerPort: p.listenPort }))],
                  ...probes({ http: { port: TOXIPROXY_API_PORT, path: "/version" } }, undefined),
                  resources: resources(args.memoryMiB ?? 128, args.cpus ?? 0.5),
                  securityContext: containerSecurity(TOXIPROXY_USER),
                  volumeMounts: [
                    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [{ name: "config", configMap: { name: config.metadata.name } }, memoryVolume("tmp", 1)],
            },
          },
        },
      },
      { parent: this, deleteBeforeReplace: true, customTimeouts: AWAIT },
    );

    const servicePort = (p: KubernetesProxySpec) => ({ name: portName(p.listenPort), port: p.listenPort, targetPort: p.listenPort });
    const linkService = new k8s.core.v1.Service(
      `${name}-links`,
      { metadata: objectMeta(owner, namespace, workload), spec: { type: "ClusterIP", selector: selectorLabels(workload), ports: links.length > 0 ? links.map(servicePort) : [{ name: "api", port: TOXIPROXY_API_PORT, targetPort: TOXIPROXY_API_PORT }] } },
      { parent: this },
    );
    const hostService = new k8s.core.v1.Service(
      `${name}-host`,
      {
        metadata: objectMeta(owner, namespace, `${workload}-host`, workload),
        spec: { type: "NodePort", selector: selectorLabels(workload), ports: [{ name: "api", port: TOXIPROXY_API_PORT, targetPort: TOXIPROXY_API_PORT }, ...published.map(servicePort)] },
      },
      { parent: this, dependsOn: [deployment] },
    );

    const nodePorts = hostService.spec.ports.apply((ports) => {
      const byName = new Map((ports ?? []).map((p) => [p.name, p.nodePort]));
      const port = (portNameOf: string) => {
        const nodePort = byName.get(portNameOf);
        // A preview has no node ports yet (the cluster assigns them on create); an update without one is an error.
        if (!nodePort && pulumi.runtime.isDryRun()) return 0;
        if (!nodePort) throw new Error(`Toxiproxy ${name}: the cluster reported no node port for ${portNameOf}`);
        return nodePort;
      };
      return { api: port("api"), proxies: Object.fromEntries(published.map((p) => [p.name, `127.0.0.1:${port(portName(p.listenPort))}`])) };
    });
    this.workloadName = deployment.metadata.name;
    this.clusterIp = linkService.spec.clusterIP;
    this.apiUrl = pulumi.interpolate`http://127.0.0.1:${nodePorts.api}`;
    this.hostEndpoints = nodePorts.proxies;
    this.registerOutputs({ workloadName: this.workloadName, clusterIp: this.clusterIp, apiUrl: this.apiUrl, hostEndpoints: this.hostEndpoints });
  }
}
