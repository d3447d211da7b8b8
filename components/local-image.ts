import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface LocalImageArgs {
  /** Repository part of the image name, e.g. `cp3/nats`. */
  readonly repository: string;
  /** Folder holding the Dockerfile and everything it copies. */
  readonly contextDir: string;
  /** The Dockerfile, relative to the context. @default "Dockerfile" */
  readonly dockerfile?: string;
  /** Content hash of the context; it becomes the tag, so an unchanged context rebuilds nothing. */
  readonly contentHash: string;
  /** Build arguments, e.g. BASE_IMAGE. @default {} */
  readonly buildArgs?: Record<string, pulumi.Input<string>>;
}

/**
 * An image built on the local engine from a build context; nothing is pulled from or pushed to a registry.
 * The image is kept on destroy: it is content-addressed and shared by every stack on the engine.
 */
export class LocalImage extends pulumi.ComponentResource {
  /** The image reference containers run, `<repository>:<hash>`. */
  public readonly ref: pulumi.Output<string>;

  constructor(name: string, args: LocalImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:images:LocalImage", name, {}, opts);
    if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(args.repository)) {
      throw new pulumi.ResourceError(`LocalImage ${name}: repository "${args.repository}" is not a valid image repository; use lower-case letters, digits and . _ / -`, this);
    }
    if (!/^[0-9a-f]{12,64}$/.test(args.contentHash)) {
      throw new pulumi.ResourceError(`LocalImage ${name}: contentHash "${args.contentHash}" must be 12 to 64 lower-case hex digits (a sha256 of the build context)`, this);
    }
    const image = new docker.RemoteImage(
      `${name}-image`,
      {
        name: `${args.repository}:${args.contentHash.slice(0, 16)}`,
        keepLocally: true,
        build: { context: args.contextDir, dockerfile: args.dockerfile ?? "Dockerfile", buildArgs: args.buildArgs ?? {}, label: { "cp3.image": args.repository } },
      },
      { parent: this },
    );
    this.ref = image.name;
    this.registerOutputs({ ref: this.ref });
  }
}
