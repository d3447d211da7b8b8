import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened } from "./hardening";
import { labelList, ownershipLabels, type Ownership } from "./labels";
import { SecretVolume, type SecretFiles } from "./secret-files";

export interface OneShotJobArgs {
  readonly owner: Ownership;
  readonly image: pulumi.Input<string>;
  /** Replaces the image's entry point. */
  readonly entrypoint: string[];
  readonly envs: pulumi.Input<pulumi.Input<string>[]>;
  readonly networkName: pulumi.Input<string>;
  readonly user: string;
  /** Writable paths (tmpfs). @default {"/tmp": 16 MiB} */
  readonly tmpfs?: Record<string, string>;
  /** Secrets as files in /run/secrets (name -> content), readable only by `user`. @default {} */
  readonly secretFiles?: SecretFiles;
  /** The image the (never started) holder of the secret files is created from: one that does not change with the code keeps a rebuild from rewriting the files. @default image */
  readonly holderImage?: pulumi.Input<string>;
  /** Things that must be there before the job runs. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Run the job again whenever one of these changes, typically the IDs of the containers it prepares: a
   * replaced server starts with an empty tmpfs and needs its stream or schema again. @default []
   */
  readonly rerunWhen?: pulumi.Input<string>[];
  /** @default 256 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

/**
 * A container that runs once to completion during `pulumi up` (migrations, JetStream set-up). The provider
 * waits for it but does not look at its exit code, so `done` does: it fails, with the job's output, when the
 * job did not exit 0. Give `done` to whatever must only start after the job succeeded.
 */
export class OneShotJob extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;
  /** Resolves to "succeeded" once the job exited 0. */
  public readonly done: pulumi.Output<string>;

  constructor(name: string, args: OneShotJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:jobs:OneShotJob", name, {}, opts);
    if (args.entrypoint.length === 0) throw new pulumi.ResourceError(`OneShotJob ${name}: entrypoint is empty; give the command to run`, this);
    const secretFiles = args.secretFiles ?? {};
    const secrets = Object.keys(secretFiles).length === 0 ? undefined : new SecretVolume(`${name}-secrets`, { owner: args.owner, component: name, user: args.user, files: secretFiles, image: args.holderImage ?? args.image }, { parent: this });
    const container = new docker.Container(
      `${name}-run`,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        image: args.image,
        entrypoints: args.entrypoint,
        envs: pulumi.all([args.envs, pulumi.all(args.rerunWhen ?? [])]).apply(([envs, keys]) => (keys.length > 0 ? [...envs, `JOB_RERUN_KEY=${keys.join(",")}`] : envs)),
        ...hardened({
          user: args.user,
          memoryMiB: args.memoryMiB ?? 256,
          cpus: args.cpus ?? 0.5,
          tmpfs: args.tmpfs ?? { "/tmp": `rw,noexec,nosuid,size=16m` },
          lifecycle: "job",
        }),
        volumes: secrets ? [secrets.mount] : undefined,
        networksAdvanced: [{ name: args.networkName }],
        labels: labelList(ownershipLabels(args.owner, name)),
        attach: true,
        logs: true,
        mustRun: false,
      },
      { parent: this, dependsOn: [...(args.dependsOn ?? []), ...(secrets ? [secrets.holder] : [])] },
    );
    this.containerName = container.name;
    this.done = pulumi.all([container.exitCode, container.containerLogs, container.name]).apply(([code, logs, cname]) => {
      if (code !== 0) {
        const tail = (logs ?? "").trim().split("\n").slice(-20).join("\n    ");
        throw new Error(`job ${cname} exited with ${code ?? "no exit code"}; its last output:\n    ${tail}`);
      }
      return "succeeded";
    });
    // `done` is left out on purpose: a failed job must fail its dependents, once, with its output.
    this.registerOutputs({ containerName: this.containerName });
  }
}
