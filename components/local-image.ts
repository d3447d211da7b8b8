import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CA_BUNDLE_SECRET } from "../lib/host-trust";
import { buildLogDir } from "../lib/paths";

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
  /** What the host offers every build: its CA bundle and proxy settings. @default nothing */
  readonly hostOffer?: HostBuildOffer;
}

/**
 * What a build may use of the host without any of it reaching the image: a CA bundle as a BuildKit secret
 * (mounted only while the RUN step that asks for it runs) and Docker's predefined proxy arguments (kept out of
 * the image's history).
 */
export interface HostBuildOffer {
  /** A CA bundle on this host, offered as the secret `ca-bundle`; RUN steps mount it with `--mount=type=secret,id=ca-bundle,target=...`. @default none */
  readonly caBundle?: string;
  /** Proxy build arguments (HTTP_PROXY, HTTPS_PROXY, NO_PROXY...). @default {} */
  readonly proxyArgs?: Readonly<Record<string, string>>;
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
    const offer = args.hostOffer ?? {};
    if (offer.caBundle !== undefined && !path.isAbsolute(offer.caBundle)) {
      throw new pulumi.ResourceError(`LocalImage ${name}: hostOffer.caBundle "${offer.caBundle}" must be an absolute path to a PEM bundle on this host`, this);
    }
    const image = new docker.RemoteImage(
      `${name}-image`,
      {
        name: `${args.repository}:${args.contentHash.slice(0, 16)}`,
        keepLocally: true,
        build: {
          context: args.contextDir,
          dockerfile: args.dockerfile ?? "Dockerfile",
          // A proxy URL may carry credentials: secret in the state, like any password.
          buildArgs: { ...Object.fromEntries(Object.entries(offer.proxyArgs ?? {}).map(([k, v]) => [k, pulumi.secret(v)])), ...args.buildArgs },
          label: { "cp3.image": args.repository },
          // BuildKit's own output, so a failed RUN step can be read (the engine's error only names the step).
          buildLogFile: path.join(buildLogDir(pulumi.getStack()), `${name}.log`),
          ...(offer.caBundle !== undefined ? { secrets: [{ id: CA_BUNDLE_SECRET, src: offer.caBundle }] } : {}),
        },
      },
      { parent: this },
    );
    this.ref = image.name;
    this.registerOutputs({ ref: this.ref });
  }
}
