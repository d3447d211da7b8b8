// Secrets reach a container as files, never as variables: `docker inspect` shows every variable to anyone who
// can reach the engine. The files live in a named volume of their own, mounted read-only at SECRETS_DIR, owned
// by the reading container's user with mode 0400. A holder container that never starts (SecretVolume) fills
// the volume: the provider uploads the files into it before the (skipped) start, the engine accepting the copy
// because it lands in a volume (toolchain patch upload-into-directory). So the secret is an input of the holder
// only: a new value (`cp3 rotate-secret`) replaces the holder, which rewrites the files in place, and never the
// server or the services that read them.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened } from "./hardening";
import { HOLDER_LABEL, SECRETS_DIR } from "../lib/secret-holders";
import { labelList, ownershipLabels, type Ownership } from "./labels";

export { SECRETS_DIR };

/** File name (inside SECRETS_DIR) -> content. */
export type SecretFiles = Readonly<Record<string, pulumi.Input<string>>>;

const FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const secretPath = (fileName: string) => `${SECRETS_DIR}/${fileName}`;

/** The testbed CA's certificate, in every container that verifies a server. */
export const TLS_CA_FILE = "tls-ca";
/** What a TLS server (NATS, PostgreSQL) is given: its certificate and key, and the CA (for its own tools). */
export interface TlsServerFiles {
  readonly cert: pulumi.Input<string>;
  readonly key: pulumi.Input<string>;
  readonly ca: pulumi.Input<string>;
}
export const TLS_SERVER_CERT_FILE = "tls-server-cert";
export const TLS_SERVER_KEY_FILE = "tls-server-key";
/** The secret files of a TLS server. */
export const tlsServerFiles = (t: TlsServerFiles): SecretFiles => ({ [TLS_SERVER_CERT_FILE]: t.cert, [TLS_SERVER_KEY_FILE]: t.key, [TLS_CA_FILE]: t.ca });
/** What a PostgreSQL DSN ends with under TLS: libpq-style clients verify the server's certificate and name. */
export const TLS_DSN_QUERY = `?sslmode=verify-full&sslrootcert=${secretPath(TLS_CA_FILE)}`;

/** The problem with a file name, or undefined when it is fine. */
export function secretFileNameProblem(fileName: string): string | undefined {
  return FILE_NAME.test(fileName) ? undefined : `secret file name "${fileName}": allowed: lower-case letters, digits, '.', '_' and '-', up to 64, not starting with '.'`;
}

export interface SecretVolumeArgs {
  readonly owner: Ownership;
  /** The component whose containers read the files, for the labels. */
  readonly component: string;
  /** Numeric uid:gid of the containers that read the files: their owner. */
  readonly user: string;
  readonly files: SecretFiles;
  /** An image already on the engine to create the holder from (it never runs); any with /bin/true. */
  readonly image: pulumi.Input<string>;
}

/** A named volume holding `files`, and the mount that gives them, read-only, to a container. */
export class SecretVolume extends pulumi.ComponentResource {
  /** For a reading container's `volumes`. */
  public readonly mount: docker.types.input.ContainerVolume;
  /** The holder container: a reader that must only start once the files are there depends on it. */
  public readonly holder: docker.Container;

  constructor(name: string, args: SecretVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:secrets:SecretVolume", name, {}, opts);
    const entries = Object.entries(args.files);
    if (entries.length === 0) throw new pulumi.ResourceError(`SecretVolume ${name}: files is empty; give at least one file`, this);
    for (const [file] of entries) {
      const problem = secretFileNameProblem(file);
      if (problem) throw new pulumi.ResourceError(`SecretVolume ${name}: files has ${problem}`, this);
    }
    if (!/^[1-9][0-9]*:[0-9]+$/.test(args.user)) throw new pulumi.ResourceError(`SecretVolume ${name}: user is "${args.user}"; give a numeric uid:gid other than root`, this);
    const [uid, gid] = args.user.split(":");
    const labels = ownershipLabels(args.owner, args.component);
    const volume = new docker.Volume(`${name}-volume`, { name: `cp3-${args.owner.stack}-${name}`, labels: labelList(labels) }, { parent: this });
    this.holder = new docker.Container(
      `${name}-holder`,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        image: args.image,
        // Never run; the engine wants a command to create a container at all (a root image has none).
        entrypoints: ["/bin/true"],
        ...hardened({ user: args.user, memoryMiB: 16, cpus: 0.1, tmpfs: {}, lifecycle: "job" }),
        volumes: [{ volumeName: volume.name, containerPath: SECRETS_DIR }],
        uploads: entries.map(([fileName, content]) => ({ file: secretPath(fileName), content: pulumi.secret(content), owner: uid, group: gid, permissions: "0400" })),
        labels: labelList({ ...labels, ...HOLDER_LABEL }),
        start: false,
        mustRun: false,
      },
      { parent: this },
    );
    this.mount = { volumeName: volume.name, containerPath: SECRETS_DIR, readOnly: true };
    this.registerOutputs({});
  }
}
