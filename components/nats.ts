import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened } from "./hardening";
import { labelList, ownershipLabels, type Ownership } from "./labels";

export const NATS_CLIENT_PORT = 4222;
export const NATS_MONITOR_PORT = 8222;
const NATS_UID = "10001:10001";
// nats-server keeps JetStream in <store_dir>/jetstream, so the store is /data/jetstream on the tmpfs at /data.
const STORE_DIR = "/data";

export interface NatsArgs {
  readonly owner: Ownership;
  /** Image with nats-server (see images/nats). */
  readonly image: pulumi.Input<string>;
  /** Network the server joins, reachable as `nats` there. */
  readonly networkName: pulumi.Input<string>;
  /** Size of the JetStream store, a tmpfs mount. @default 256 */
  readonly storeMiB?: number;
  /** Memory limit; the tmpfs store counts against it. @default 512 */
  readonly memoryMiB?: number;
  /** @default 1 */
  readonly cpus?: number;
}

/** The nats-server configuration, rendered from typed arguments. */
export function renderNatsConfig(serverName: string, storeMiB: number): string {
  // Leave 10 % of the tmpfs for JetStream's own index and metadata files.
  const maxFileStore = Math.floor(storeMiB * 0.9) * 1024 * 1024;
  return [
    `server_name: "${serverName}"`,
    `port: ${NATS_CLIENT_PORT}`,
    `http_port: ${NATS_MONITOR_PORT}`,
    "jetstream {",
    `  store_dir: "${STORE_DIR}"`,
    `  max_file_store: ${maxFileStore}`,
    "  max_memory_store: 0",
    "}",
  ].join("\n");
}

/**
 * A NATS server with JetStream whose store is a tmpfs mount: fast, and wiped when the container stops, which
 * is exactly the failure the testbed must survive. Client and monitor ports are published on 127.0.0.1 only,
 * on host ports the engine picks, so stacks side by side never collide.
 */
export class Nats extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;
  public readonly clientUrl: pulumi.Output<string>;
  public readonly monitorUrl: pulumi.Output<string>;

  constructor(name: string, args: NatsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:nats:Nats", name, {}, opts);
    const storeMiB = args.storeMiB ?? 256;
    const memoryMiB = args.memoryMiB ?? 512;
    const cpus = args.cpus ?? 1;
    if (!Number.isInteger(storeMiB) || storeMiB < 16) {
      throw new pulumi.ResourceError(`Nats ${name}: storeMiB is ${storeMiB}; give an integer of at least 16`, this);
    }
    if (memoryMiB < storeMiB + 64) {
      throw new pulumi.ResourceError(`Nats ${name}: memoryMiB is ${memoryMiB} but the ${storeMiB} MiB tmpfs store counts against it; give at least ${storeMiB + 64}`, this);
    }
    if (!(cpus > 0)) {
      throw new pulumi.ResourceError(`Nats ${name}: cpus is ${cpus}; give a number above 0`, this);
    }

    const containerName = `cp3-${args.owner.stack}-${name}`;
    const container = new docker.Container(
      `${name}-server`,
      {
        name: containerName,
        image: args.image,
        hostname: name,
        ...hardened({
          user: NATS_UID,
          memoryMiB,
          cpus,
          tmpfs: {
            "/data": `rw,noexec,nosuid,size=${storeMiB}m,uid=10001,gid=10001,mode=0700`,
            "/run/nats": "rw,noexec,nosuid,size=1m,uid=10001,gid=10001,mode=0700",
          },
        }),
        envs: [`NATS_CONFIG=${renderNatsConfig(containerName, storeMiB)}`],
        networksAdvanced: [{ name: args.networkName, aliases: ["nats"] }],
        ports: [
          { internal: NATS_CLIENT_PORT, ip: "127.0.0.1" },
          { internal: NATS_MONITOR_PORT, ip: "127.0.0.1" },
        ],
        labels: labelList(ownershipLabels(args.owner, "nats")),
        // `pulumi up` returns only once the image's healthcheck (JetStream enabled) passes.
        wait: true,
        waitTimeout: 90,
      },
      { parent: this },
    );

    const hostPort = (internal: number) =>
      container.ports.apply((ports) => {
        const bound = (ports ?? []).find((p) => p.internal === internal);
        if (!bound?.external) throw new Error(`Nats ${name}: the engine reported no host port for ${internal}`);
        return bound.external;
      });
    this.containerName = container.name;
    this.clientUrl = pulumi.interpolate`nats://127.0.0.1:${hostPort(NATS_CLIENT_PORT)}`;
    this.monitorUrl = pulumi.interpolate`http://127.0.0.1:${hostPort(NATS_MONITOR_PORT)}`;
    this.registerOutputs({ containerName: this.containerName, clientUrl: this.clientUrl, monitorUrl: this.monitorUrl });
  }
}
