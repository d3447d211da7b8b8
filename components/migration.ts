import * as pulumi from "@pulumi/pulumi";
import { OneShotJob } from "./job";
import type { Ownership } from "./labels";
import { PASSWORD_FILE } from "./postgres";
import { secretPath, TLS_CA_FILE } from "./secret-files";

export interface MigrationArgs {
  readonly owner: Ownership;
  /** The migration image (images/migrate): PostgreSQL's client, the migrations and the runner. */
  readonly image: pulumi.Input<string>;
  readonly networkName: pulumi.Input<string>;
  readonly host: string;
  readonly password: pulumi.Input<string>;
  /** The database the migrations apply to; created when missing. @default "postgres" */
  readonly database?: string;
  /** The image the (never started) holder of the secret files is created from: one that does not change with the code keeps a rebuild from rewriting the files. @default image */
  readonly holderImage?: pulumi.Input<string>;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** The CA the server's TLS certificate is verified with (verify-full), when it requires TLS. @default plain TCP */
  readonly tlsCa?: pulumi.Input<string>;
  /** ID of the PostgreSQL container: a replaced server on tmpfs starts empty, so the migration runs again. */
  readonly serverId: pulumi.Input<string>;
}

/** Applies one database's versioned migrations, explicitly and before any service starts. */
export class Migration extends pulumi.ComponentResource {
  public readonly done: pulumi.Output<string>;

  constructor(name: string, args: MigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:postgres:Migration", name, {}, opts);
    const job = new OneShotJob(
      `${name}-apply`,
      {
        owner: args.owner,
        image: args.image,
        entrypoint: ["/usr/bin/tini", "--", "/usr/local/bin/migrate"],
        envs: [
          `PGHOST=${args.host}`,
          `PGDATABASE=${args.database ?? "postgres"}`,
          `PGPASSWORD_FILE=${secretPath(PASSWORD_FILE)}`,
          // libpq's own variables: TLS, and the server's name checked against its certificate.
          ...(args.tlsCa ? ["PGSSLMODE=verify-full", `PGSSLROOTCERT=${secretPath(TLS_CA_FILE)}`] : []),
        ],
        secretFiles: { [PASSWORD_FILE]: args.password, ...(args.tlsCa ? { [TLS_CA_FILE]: args.tlsCa } : {}) },
        holderImage: args.holderImage,
        networkName: args.networkName,
        user: "10003:10003",
        dependsOn: args.dependsOn,
        rerunWhen: [args.serverId],
      },
      { parent: this },
    );
    this.done = job.done;
    this.registerOutputs({ done: this.done });
  }
}
