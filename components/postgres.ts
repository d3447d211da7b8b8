import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened, tmpfsFor } from "./hardening";
import { containerRef, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";
import { secretPath, SecretVolume, TLS_SERVER_CERT_FILE, TLS_SERVER_KEY_FILE, tlsServerFiles, type TlsServerFiles } from "./secret-files";

export const POSTGRES_PORT = 5432;
const PG_USER = "10003:10003";
const PGDATA = "/var/lib/postgresql/data";
/** The password's file name in /run/secrets, in every container that has it. */
export const PASSWORD_FILE = "postgres-password";

/** The server, its settings and its size, on either platform. */
export interface PostgresSettings {
  readonly owner: Ownership;
  /** Image with PostgreSQL from Debian's packages (images/postgres). */
  readonly image: pulumi.Input<string>;
  /** The superuser password; keep it a Pulumi secret. */
  readonly password: pulumi.Input<string>;
  /**
   * tmpfs (ephemeral, ci) or a volume (dev, staging). On Kubernetes, a memory-backed emptyDir or an on-disk one
   * (the local node has no storage provisioner: it survives container restarts, not the pod). @default "tmpfs"
   */
  readonly storage?: "tmpfs" | "volume";
  /** Size of the data directory. @default 512 */
  readonly storageMiB?: number;
  /** @default 100 */
  readonly maxConnections?: number;
  /** @default 128 */
  readonly sharedBuffersMiB?: number;
  /** @default 768 */
  readonly memoryMiB?: number;
  /** @default 1 */
  readonly cpus?: number;
}

export interface PostgresArgs extends PostgresSettings {
  /** The image the (never started) holder of the secret files is created from: one that does not change with the code keeps a rebuild from rewriting the files. @default image */
  readonly holderImage?: pulumi.Input<string>;
  /** The data network; the server is reachable there as `postgres`. */
  readonly networkName: pulumi.Input<string>;
  /** TCP clients must use TLS (hostssl) with this certificate; the local socket stays as it is. @default plain TCP */
  readonly tls?: TlsServerFiles;
}

/** PostgreSQL with its data on tmpfs or a named volume, healthy once `pg_isready` answers. */
export class Postgres extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];
  /** The server as the data network knows it. */
  public readonly host = "postgres";
  public readonly container: docker.Container;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:postgres:Postgres", name, {}, opts);
    const storage = args.storage ?? "tmpfs";
    const storageMiB = args.storageMiB ?? 512;
    const sharedBuffersMiB = args.sharedBuffersMiB ?? 128;
    const memoryMiB = args.memoryMiB ?? 768;
    const maxConnections = args.maxConnections ?? 100;
    if (storage !== "tmpfs" && storage !== "volume") throw new pulumi.ResourceError(`Postgres ${name}: storage is "${String(storage)}"; give "tmpfs" or "volume"`, this);
    if (storage === "tmpfs" && memoryMiB < storageMiB + sharedBuffersMiB + 64) {
      throw new pulumi.ResourceError(`Postgres ${name}: memoryMiB is ${memoryMiB}, too little for a ${storageMiB} MiB tmpfs data directory and ${sharedBuffersMiB} MiB of shared buffers; give at least ${storageMiB + sharedBuffersMiB + 64}`, this);
    }
    if (!Number.isInteger(maxConnections) || maxConnections < 10) throw new pulumi.ResourceError(`Postgres ${name}: maxConnections is ${maxConnections}; give an integer of at least 10`, this);

    const tmpfs: Record<string, string> = { "/run/postgresql": tmpfsFor(PG_USER, 8, "0775"), "/tmp": tmpfsFor(PG_USER, 64) };
    let volumes: docker.types.input.ContainerVolume[] | undefined;
    if (storage === "tmpfs") {
      tmpfs[PGDATA] = tmpfsFor(PG_USER, storageMiB);
    } else {
      const volume = new docker.Volume(`${name}-data`, { name: `cp3-${args.owner.stack}-${name}-data`, labels: labelList(ownershipLabels(args.owner, "postgres")) }, { parent: this });
      volumes = [{ volumeName: volume.name, containerPath: PGDATA }];
    }

    // The password as a file only the server's user reads; initdb takes it from there on first start.
    const secrets = new SecretVolume(`${name}-secrets`, { owner: args.owner, component: "postgres", user: PG_USER, files: { [PASSWORD_FILE]: args.password, ...(args.tls ? tlsServerFiles(args.tls) : {}) }, image: args.holderImage ?? args.image }, { parent: this });
    this.container = new docker.Container(
      `${name}-server`,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        image: args.image,
        hostname: "postgres",
        ...hardened({ user: PG_USER, memoryMiB, cpus: args.cpus ?? 1, tmpfs }),
        volumes: [secrets.mount, ...(volumes ?? [])],
        envs: [
          `POSTGRES_PASSWORD_FILE=${secretPath(PASSWORD_FILE)}`,
          `PG_MAX_CONNECTIONS=${maxConnections}`,
          `PG_SHARED_BUFFERS_MB=${sharedBuffersMiB}`,
          ...(args.tls ? [`PG_TLS_CERT_FILE=${secretPath(TLS_SERVER_CERT_FILE)}`, `PG_TLS_KEY_FILE=${secretPath(TLS_SERVER_KEY_FILE)}`] : []),
        ],
        // /dev/shm backs PostgreSQL's dynamic shared memory.
        shmSize: Math.max(64, sharedBuffersMiB),
        networksAdvanced: [{ name: args.networkName, aliases: ["postgres"] }],
        labels: labelList(ownershipLabels(args.owner, "postgres")),
        wait: true,
        waitTimeout: 120,
      },
      { parent: this, dependsOn: [secrets.holder] },
    );
    this.containerName = this.container.name;
    this.containerRefs = [containerRef(this.container, "postgres")];
    this.registerOutputs({ containerName: this.containerName });
  }
}
