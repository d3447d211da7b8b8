import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened, sortedPorts, tmpfsFor } from "./hardening";
import { containerRef, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";

export const TOXIPROXY_API_PORT = 8474;
const TOXIPROXY_USER = "10004:10004";

export interface ProxySpec {
  /** The proxy's name in Toxiproxy's API (chaos experiments address it by this name). */
  readonly name: string;
  /** Port Toxiproxy listens on inside its container. Keep it outside the ephemeral range 32768-61000. */
  readonly listenPort: number;
  /** host:port on the data network. */
  readonly upstream: string;
  /** Publish on 127.0.0.1 (a port the engine picks), for the host's own probes and checks. */
  readonly publish: boolean;
}

export interface ToxiproxyArgs {
  readonly owner: Ownership;
  readonly image: pulumi.Input<string>;
  /** A routable network, for the published API and host-access ports. */
  readonly edgeNetworkName: pulumi.Input<string>;
  /** The internal data network the upstreams live on; reachable there as `toxiproxy`. */
  readonly dataNetworkName: pulumi.Input<string>;
  readonly proxies: ProxySpec[];
  /** @default 128 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

/**
 * Toxiproxy between the flows and NATS/PostgreSQL (so latency, timeouts and resets can be injected at layer 4,
 * without the kernel's netem), and the host's only way into the internal data network. Its API and the
 * published proxies listen on 127.0.0.1 only.
 */
export class Toxiproxy extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];
  public readonly apiUrl: pulumi.Output<string>;
  /** Published proxies: name -> 127.0.0.1:<host port>. */
  public readonly hostEndpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ToxiproxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:toxiproxy:Toxiproxy", name, {}, opts);
    const seen = new Set<number>();
    for (const p of args.proxies) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(p.name)) throw new pulumi.ResourceError(`Toxiproxy ${name}: proxy name "${p.name}" must be lower-case letters, digits and '-'`, this);
      if (p.listenPort === TOXIPROXY_API_PORT || seen.has(p.listenPort) || (p.listenPort >= 32768 && p.listenPort <= 61000) || p.listenPort < 1024 || p.listenPort > 65535) {
        throw new pulumi.ResourceError(`Toxiproxy ${name}: proxy ${p.name} listenPort ${p.listenPort} is taken or in the ephemeral range; give a free port from 1024 to 32767 (not ${TOXIPROXY_API_PORT})`, this);
      }
      seen.add(p.listenPort);
    }
    const config = args.proxies.map((p) => ({ name: p.name, listen: `0.0.0.0:${p.listenPort}`, upstream: p.upstream, enabled: true }));
    const published = args.proxies.filter((p) => p.publish);

    const container = new docker.Container(
      `${name}-server`,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        image: args.image,
        hostname: "toxiproxy",
        ...hardened({ user: TOXIPROXY_USER, memoryMiB: args.memoryMiB ?? 128, cpus: args.cpus ?? 0.5, tmpfs: { "/run/toxiproxy": tmpfsFor(TOXIPROXY_USER, 1) } }),
        envs: [`TOXIPROXY_CONFIG=${JSON.stringify(config)}`],
        networksAdvanced: [{ name: args.edgeNetworkName }, { name: args.dataNetworkName, aliases: ["toxiproxy"] }],
        ports: sortedPorts([{ internal: TOXIPROXY_API_PORT, ip: "127.0.0.1" }, ...published.map((p) => ({ internal: p.listenPort, ip: "127.0.0.1" }))]),
        labels: labelList(ownershipLabels(args.owner, "toxiproxy")),
        wait: true,
        waitTimeout: 60,
      },
      { parent: this },
    );

    const hostPorts = container.ports.apply((ports) => {
      const byInternal = new Map((ports ?? []).map((p) => [p.internal, p.external]));
      const port = (internal: number) => {
        const external = byInternal.get(internal);
        if (!external) throw new Error(`Toxiproxy ${name}: the engine reported no host port for ${internal}`);
        return external;
      };
      return { api: port(TOXIPROXY_API_PORT), proxies: Object.fromEntries(published.map((p) => [p.name, `127.0.0.1:${port(p.listenPort)}`])) };
    });
    this.containerName = container.name;
    this.containerRefs = [containerRef(container, "toxiproxy")];
    this.apiUrl = pulumi.interpolate`http://127.0.0.1:${hostPorts.api}`;
    this.hostEndpoints = hostPorts.proxies;
    this.registerOutputs({ containerName: this.containerName, apiUrl: this.apiUrl, hostEndpoints: this.hostEndpoints });
  }
}
