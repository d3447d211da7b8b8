import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT, type PostgresSettings } from "../postgres";
import { TLS_CA_FILE, TLS_SERVER_CERT_FILE, TLS_SERVER_KEY_FILE, type TlsServerFiles } from "../secret-files";
import { AWAIT, containerSecurity, memoryVolume, objectMeta, podBase, probes, resources, selectorLabels, workloadLabels } from "./pod";

const PG_USER = "10003:10003";
const DATA_MOUNT = "/var/lib/postgresql/data";
// initdb must own the data directory and set it to 0700; an emptyDir's root belongs to root, so the cluster
// lives one level down, in a directory initdb creates itself.
const PGDATA = `${DATA_MOUNT}/pgdata`;
const SECRET_DIR = "/run/secrets/postgres";
export const POSTGRES_WORKLOAD = "postgres";
/** The key of the password in the Secret. */
export const PASSWORD_KEY = "password";

/** The image is the one imported into the node; the password reaches the server as a file from a Secret. */
export interface KubernetesPostgresArgs extends PostgresSettings {
  readonly namespace: pulumi.Input<string>;
  /** TCP clients must use TLS (hostssl) with this certificate. @default plain TCP */
  readonly tls?: TlsServerFiles;
}

/**
 * PostgreSQL as a one-pod StatefulSet behind a ClusterIP Service. The password lives in a Secret mounted as a
 * file, which the image's entry point gives initdb ($POSTGRES_PASSWORD_FILE): never a variable.
 */
export class KubernetesPostgres extends pulumi.ComponentResource {
  public readonly workloadName: pulumi.Output<string>;
  /** The server's ClusterIP. */
  public readonly host: pulumi.Output<string>;
  /** The Secret with the password under PASSWORD_KEY, for secretKeyRef. */
  public readonly secretName: pulumi.Output<string>;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: KubernetesPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:Postgres", name, {}, opts);
    const storage = args.storage ?? "tmpfs";
    const storageMiB = args.storageMiB ?? 512;
    const sharedBuffersMiB = args.sharedBuffersMiB ?? 128;
    const memoryMiB = args.memoryMiB ?? 768;
    const maxConnections = args.maxConnections ?? 100;
    if (storage !== "tmpfs" && storage !== "volume") throw new pulumi.ResourceError(`Postgres ${name}: storage is "${String(storage)}"; give "tmpfs" or "volume"`, this);
    if (!Number.isInteger(storageMiB) || storageMiB < 64) throw new pulumi.ResourceError(`Postgres ${name}: storageMiB is ${storageMiB}; give an integer of at least 64`, this);
    if (storage === "tmpfs" && memoryMiB < storageMiB + sharedBuffersMiB + 64) {
      throw new pulumi.ResourceError(`Postgres ${name}: memoryMiB is ${memoryMiB}, too little for a ${storageMiB} MiB memory-backed data directory and ${sharedBuffersMiB} MiB of shared buffers; give at least ${storageMiB + sharedBuffersMiB + 64}`, this);
    }
    if (!Number.isInteger(maxConnections) || maxConnections < 10) throw new pulumi.ResourceError(`Postgres ${name}: maxConnections is ${maxConnections}; give an integer of at least 10`, this);
    const { owner, namespace } = args;
    const workload = POSTGRES_WORKLOAD;

    const secret = new k8s.core.v1.Secret(
      `${name}-password`,
      {
        metadata: objectMeta(owner, namespace, `${workload}-password`, workload),
        type: "Opaque",
        // With TLS the server's certificate and key, and the CA (a migration's file), beside the password.
        stringData: {
          [PASSWORD_KEY]: pulumi.secret(args.password),
          ...(args.tls ? { [TLS_SERVER_CERT_FILE]: args.tls.cert, [TLS_SERVER_KEY_FILE]: pulumi.secret(args.tls.key), [TLS_CA_FILE]: args.tls.ca } : {}),
        },
      },
      { parent: this },
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: objectMeta(owner, namespace, workload), spec: { type: "ClusterIP", selector: selectorLabels(workload), ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: POSTGRES_PORT }] } },
      { parent: this },
    );

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-server`,
      {
        metadata: objectMeta(owner, namespace, workload),
        spec: {
          serviceName: service.metadata.name,
          replicas: 1,
          selector: { matchLabels: selectorLabels(workload) },
          template: {
            metadata: { labels: workloadLabels(owner, workload) },
            spec: {
              ...podBase(PG_USER),
              containers: [
                {
                  name: "postgres",
                  image: args.image,
                  imagePullPolicy: "Never",
                  env: [
                    { name: "POSTGRES_PASSWORD_FILE", value: `${SECRET_DIR}/${PASSWORD_KEY}` },
                    { name: "PGDATA", value: PGDATA },
                    { name: "PG_MAX_CONNECTIONS", value: String(maxConnections) },
                    { name: "PG_SHARED_BUFFERS_MB", value: String(sharedBuffersMiB) },
                    // The entry point copies the key (root-owned in a Secret volume) to a file of the server's own.
                    ...(args.tls
                      ? [
                          { name: "PG_TLS_CERT_FILE", value: `${SECRET_DIR}/${TLS_SERVER_CERT_FILE}` },
                          { name: "PG_TLS_KEY_FILE", value: `${SECRET_DIR}/${TLS_SERVER_KEY_FILE}` },
                        ]
                      : []),
                  ],
                  ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                  ...probes({ command: ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres"] }, undefined),
                  resources: resources(memoryMiB, args.cpus ?? 1),
                  securityContext: containerSecurity(PG_USER),
                  volumeMounts: [
                    { name: "data", mountPath: DATA_MOUNT },
                    { name: "run", mountPath: "/run/postgresql" },
                    { name: "tmp", mountPath: "/tmp" },
                    // /dev/shm backs PostgreSQL's dynamic shared memory.
                    { name: "shm", mountPath: "/dev/shm" },
                    { name: "password", mountPath: SECRET_DIR, readOnly: true },
                  ],
                },
              ],
              volumes: [
                storage === "tmpfs" ? memoryVolume("data", storageMiB) : { name: "data", emptyDir: { sizeLimit: `${storageMiB}Mi` } },
                memoryVolume("run", 8),
                memoryVolume("tmp", 64),
                memoryVolume("shm", Math.max(64, sharedBuffersMiB)),
                // Readable by the server's group only (fsGroup), never written.
                { name: "password", secret: { secretName: secret.metadata.name, defaultMode: 0o440 } },
              ],
            },
          },
        },
      },
      { parent: this, deleteBeforeReplace: true, customTimeouts: AWAIT },
    );
    this.workloadName = this.statefulSet.metadata.name;
    this.host = service.spec.clusterIP;
    this.secretName = secret.metadata.name;
    this.registerOutputs({ workloadName: this.workloadName, host: this.host, secretName: this.secretName });
  }
}
