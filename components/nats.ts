import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened, tmpfsFor } from "./hardening";
import { containerRef, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";
import { secretPath, SecretVolume, TLS_SERVER_CERT_FILE, TLS_SERVER_KEY_FILE, tlsServerFiles, type TlsServerFiles } from "./secret-files";

export const NATS_CLIENT_PORT = 4222;
export const NATS_CLUSTER_PORT = 6222;
export const NATS_MONITOR_PORT = 8222;
const NATS_USER = "10001:10001";
// nats-server keeps JetStream in <store_dir>/jetstream, so the store is /data/jetstream on the tmpfs at /data.
const STORE_DIR = "/data";

/** How many NATS servers and how big, on either platform. */
export interface NatsSizing {
  readonly owner: Ownership;
  /** Image with nats-server (see images/nats). */
  readonly image: pulumi.Input<string>;
  /** 1, or 3 for a cluster whose streams can use R3. @default 1 */
  readonly replicas?: 1 | 3;
  /** Size of each server's JetStream store, in memory (a tmpfs; on Kubernetes a memory-backed emptyDir). @default 256 */
  readonly storeMiB?: number;
  /** Memory limit per server; the store counts against it. @default 512 */
  readonly memoryMiB?: number;
  /** @default 1 */
  readonly cpus?: number;
}

export interface NatsArgs extends NatsSizing {
  /** The data network; server i is reachable there as `nats-<i>`. */
  readonly networkName: pulumi.Input<string>;
  /** Clients must connect over TLS with this certificate (its names must cover every host they use). @default plain TCP */
  readonly tls?: TlsServerFiles;
  /** The image the (never started) holder of the TLS files is created from. @default image */
  readonly holderImage?: pulumi.Input<string>;
}

/** The host name of server `i` on the data network. */
export const natsHost = (i: number) => `nats-${i}`;

/** The TLS block of a server that requires TLS of its clients, with its certificate and key from the secrets folder. */
export const natsTlsLines = (): string[] => ["tls {", `  cert_file: "${secretPath(TLS_SERVER_CERT_FILE)}"`, `  key_file: "${secretPath(TLS_SERVER_KEY_FILE)}"`, "  timeout: 2", "}"];

/** The nats-server configuration, rendered from typed arguments. */
export function renderNatsConfig(serverName: string, storeMiB: number, replicas: number, tls = false): string {
  // Leave 10 % of the tmpfs for JetStream's own index and metadata files.
  const maxFileStore = Math.floor(storeMiB * 0.9) * 1024 * 1024;
  const lines = [
    `server_name: "${serverName}"`,
    `port: ${NATS_CLIENT_PORT}`,
    `http_port: ${NATS_MONITOR_PORT}`,
    "jetstream {",
    `  store_dir: "${STORE_DIR}"`,
    `  max_file_store: ${maxFileStore}`,
    "  max_memory_store: 0",
    "}",
  ];
  // TLS on the client port only, so /varz says tls_required; the monitor port stays HTTP and the cluster's
  // routes stay on the internal data network in the clear.
  if (tls) lines.push(...natsTlsLines());
  if (replicas > 1) {
    const routes = Array.from({ length: replicas }, (_, i) => `    "nats://${natsHost(i)}:${NATS_CLUSTER_PORT}"`);
    lines.push("cluster {", '  name: "cp3"', `  listen: "0.0.0.0:${NATS_CLUSTER_PORT}"`, "  routes: [", ...routes, "  ]", "}");
  }
  return lines.join("\n");
}

/**
 * NATS with JetStream whose store is a tmpfs mount: fast, and wiped when a container stops, which is exactly
 * the failure the testbed must survive. One server, or a three-node cluster with routes on the data network.
 * Nothing is published to the host: the data network is internal; Toxiproxy is the way in.
 */
export class Nats extends pulumi.ComponentResource {
  public readonly containerNames: pulumi.Output<string[]>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];
  /** Container IDs; they change whenever a server is replaced (and its tmpfs store starts empty). */
  public readonly containerIds: pulumi.Output<string>[];
  /** Client URLs on the data network, one per server. */
  public readonly clientUrls: string[];

  constructor(name: string, args: NatsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:nats:Nats", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const storeMiB = args.storeMiB ?? 256;
    const memoryMiB = args.memoryMiB ?? 512;
    const cpus = args.cpus ?? 1;
    if (replicas !== 1 && replicas !== 3) {
      throw new pulumi.ResourceError(`Nats ${name}: replicas is ${String(replicas)}; give 1 or 3 (a JetStream cluster needs a majority)`, this);
    }
    if (!Number.isInteger(storeMiB) || storeMiB < 16) {
      throw new pulumi.ResourceError(`Nats ${name}: storeMiB is ${storeMiB}; give an integer of at least 16`, this);
    }
    if (memoryMiB < storeMiB + 64) {
      throw new pulumi.ResourceError(`Nats ${name}: memoryMiB is ${memoryMiB} but the ${storeMiB} MiB tmpfs store counts against it; give at least ${storeMiB + 64}`, this);
    }
    if (!(cpus > 0)) throw new pulumi.ResourceError(`Nats ${name}: cpus is ${cpus}; give a number above 0`, this);

    const secrets = args.tls ? new SecretVolume(`${name}-tls`, { owner: args.owner, component: "nats", user: NATS_USER, files: tlsServerFiles(args.tls), image: args.holderImage ?? args.image }, { parent: this }) : undefined;
    const containers = Array.from({ length: replicas }, (_, i) => {
      const containerName = `cp3-${args.owner.stack}-${natsHost(i)}`;
      return new docker.Container(
        `${name}-${i}`,
        {
          name: containerName,
          image: args.image,
          hostname: natsHost(i),
          ...hardened({
            user: NATS_USER,
            memoryMiB,
            cpus,
            tmpfs: { [STORE_DIR]: tmpfsFor(NATS_USER, storeMiB), "/run/nats": tmpfsFor(NATS_USER, 1) },
          }),
          envs: [`NATS_CONFIG=${renderNatsConfig(containerName, storeMiB, replicas, secrets !== undefined)}`],
          volumes: secrets ? [secrets.mount] : undefined,
          networksAdvanced: [{ name: args.networkName, aliases: [natsHost(i)] }],
          labels: labelList(ownershipLabels(args.owner, "nats")),
          // `pulumi up` goes on only once the image's healthcheck (JetStream enabled) passes; a cluster's
          // servers must start together, so only a single server is waited for here.
          wait: replicas === 1,
          waitTimeout: 90,
        },
        { parent: this, dependsOn: secrets ? [secrets.holder] : [] },
      );
    });
    this.containerNames = pulumi.all(containers.map((c) => c.name));
    this.containerIds = containers.map((c) => c.id);
    this.containerRefs = containers.map((c) => containerRef(c, "nats"));
    this.clientUrls = containers.map((_, i) => `nats://${natsHost(i)}:${NATS_CLIENT_PORT}`);
    this.registerOutputs({ containerNames: this.containerNames, clientUrls: this.clientUrls });
  }
}
