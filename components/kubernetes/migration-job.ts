import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Ownership } from "../labels";
import { AWAIT, DNS_LABEL, oneShotJob } from "./pod";
import { secretPath, TLS_CA_FILE } from "../secret-files";
import type { Core } from "./pod";
import { PASSWORD_FILE } from "../postgres";
import { PASSWORD_KEY } from "./postgres";

export interface MigrationJobArgs {
  readonly owner: Ownership;
  readonly namespace: pulumi.Input<string>;
  /** The migration image (images/migrate): PostgreSQL's client, the migrations and the runner. */
  readonly image: pulumi.Input<string>;
  /** PostgreSQL's ClusterIP, or with TLS the name hostAliases give it (its certificate's). */
  readonly host: pulumi.Input<string>;
  /** The server requires TLS: verify it (verify-full) with the CA under `tls-ca` in passwordSecret. @default plain TCP */
  readonly tls?: boolean;
  /** Names in the pod's /etc/hosts. @default none */
  readonly hostAliases?: pulumi.Input<Core.HostAlias[]>;
  /** The Secret holding the password (KubernetesPostgres.secretName); mounted as a file, never copied. */
  readonly passwordSecret: pulumi.Input<string>;
  /** The database the migrations apply to; created when missing. @default "postgres" */
  readonly database?: string;
  /** The Job's name (a DNS label). @default the component's name */
  readonly workload?: string;
}

/** Applies one database's versioned migrations as a Job, which the provider waits for before any service starts. */
export class MigrationJob extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;
  public readonly workloadName: pulumi.Output<string>;

  constructor(name: string, args: MigrationJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:MigrationJob", name, {}, opts);
    const workload = args.workload ?? name;
    const database = args.database ?? "postgres";
    if (!DNS_LABEL.test(workload)) throw new pulumi.ResourceError(`MigrationJob ${name}: workload is "${workload}"; give a DNS label`, this);
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new pulumi.ResourceError(`MigrationJob ${name}: database is "${database}"; give a PostgreSQL name (lower-case letters, digits and '_')`, this);
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      oneShotJob({
        owner: args.owner,
        namespace: args.namespace,
        workload,
        image: args.image,
        command: ["/usr/bin/tini", "--", "/usr/local/bin/migrate"],
        env: [
          { name: "PGHOST", value: args.host },
          { name: "PGDATABASE", value: database },
          // A file from the Secret: the password is never a variable.
          { name: "PGPASSWORD_FILE", value: secretPath(PASSWORD_FILE) },
          // libpq's own variables: TLS, and the server's name checked against its certificate.
          ...(args.tls ? [{ name: "PGSSLMODE", value: "verify-full" }, { name: "PGSSLROOTCERT", value: secretPath(TLS_CA_FILE) }] : []),
        ],
        user: "10003:10003",
        secretFiles: { secretName: args.passwordSecret, files: { [PASSWORD_KEY]: PASSWORD_FILE, ...(args.tls ? { [TLS_CA_FILE]: TLS_CA_FILE } : {}) } },
        ...(args.hostAliases ? { hostAliases: args.hostAliases } : {}),
      }),
      { parent: this, deleteBeforeReplace: true, customTimeouts: AWAIT },
    );
    this.workloadName = this.job.metadata.name;
    this.registerOutputs({ workloadName: this.workloadName });
  }
}
