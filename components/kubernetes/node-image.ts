// A local Docker image made available to the node's containerd (nothing can be pulled here, REFERENCE.md): the
// image is exported from the Docker engine and imported into containerd's `k8s.io` namespace, where the CRI
// looks for images; pods then run it with `imagePullPolicy: Never`.
import * as pulumi from "@pulumi/pulumi";

export interface NodeImageArgs {
  /** The image's reference in the local Docker engine, e.g. `cp3/nats:0123456789abcdef`. */
  readonly ref: pulumi.Input<string>;
  /** The node's containerd socket (its own, not Docker's), e.g. `/run/cp3-k8s/containerd/containerd.sock`. */
  readonly containerdAddress: pulumi.Input<string>;
}

/** The name containerd gives a `docker save`d image: Docker's normalised form (`docker.io/library/x:latest`). */
export function containerdRef(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const name = hasRegistry ? ref : `docker.io/${slash < 0 ? "library/" : ""}${ref}`;
  const last = name.slice(name.lastIndexOf("/") + 1);
  return last.includes(":") || last.includes("@") ? name : `${name}:latest`;
}

interface NodeImageState {
  ref: string;
  nodeRef: string;
  address: string;
  /** Docker's image ID at import; containerd's copy carries it as the label cp3.image-id. */
  imageId?: string;
}

/**
 * Everything the provider does, in one function that captures nothing: Pulumi serializes the provider's code into
 * the state and runs it in its own process, so it reaches Node's modules through process.getBuiltinModule.
 * "check": is the node's copy the engine's current image? "ensure": import it unless it is.
 */
function nodeImageOp(op: "check" | "ensure", s: NodeImageState): { imageId: string; current: boolean; imported: boolean } {
  const cp = process.getBuiltinModule("node:child_process");
  const sh = (file: string, args: string[], timeoutMs: number) => {
    const r = cp.spawnSync(file, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr || r.stdout || "").trim().split("\n").slice(-5).join(" | ")}`;
      throw new Error(`NodeImage ${s.ref}: \`${file} ${args.join(" ")}\` failed (${why})`);
    }
    return r.stdout;
  };
  const ctr = ["-a", s.address, "-n", "k8s.io"];
  const imageId = sh("docker", ["image", "inspect", "--format", "{{.Id}}", s.ref], 30_000).trim();
  // `ctr images ls` prints REF TYPE DIGEST SIZE PLATFORMS LABELS; the labels column is key=value,...
  const listed = sh("ctr", [...ctr, "images", "ls", `name==${s.nodeRef}`], 30_000).split("\n").slice(1);
  const current = listed.some((line) => line.startsWith(`${s.nodeRef} `) && line.includes(`cp3.image-id=${imageId}`));
  if (op === "check" || current) return { imageId, current, imported: false };
  // bash for pipefail: a failed `docker save` must fail the import rather than import a truncated stream.
  sh("bash", ["-o", "pipefail", "-c", 'docker save "$1" | ctr -a "$2" -n k8s.io images import -', "node-image", s.ref, s.address], 600_000);
  sh("ctr", [...ctr, "images", "label", s.nodeRef, `cp3.image-id=${imageId}`], 30_000);
  return { imageId, current: true, imported: true };
}

export const nodeImageProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: NodeImageState) {
    const r = nodeImageOp("ensure", inputs);
    return { id: inputs.nodeRef, outs: { ...inputs, imageId: r.imageId } };
  },
  async diff(_id: string, olds: NodeImageState, news: NodeImageState) {
    if (olds.ref !== news.ref || olds.address !== news.address || olds.nodeRef !== news.nodeRef) return { changes: true };
    // The engine's image under the same name changed (a `local` image rebuilt), or the node lost its copy (the
    // cluster was set up anew): import again. When the check itself fails (the node is down), update says why.
    try {
      const r = nodeImageOp("check", news);
      return { changes: !r.current || r.imageId !== olds.imageId };
    } catch {
      return { changes: true };
    }
  },
  async update(_id: string, _olds: NodeImageState, news: NodeImageState) {
    const r = nodeImageOp("ensure", news);
    return { outs: { ...news, imageId: r.imageId } };
  },
  // The image stays on the node: image names are content hashes shared by every stack on the node (removing it
  // could pull it from under another stack's pods), and the node's containerd state goes when the cluster does.
  async delete() {},
};

/** A local Docker image imported into the node's containerd (`docker save | ctr images import`), once per content. */
export class NodeImage extends pulumi.dynamic.Resource {
  /** The reference pods use (with imagePullPolicy Never): the engine's own, which the CRI normalises. */
  public declare readonly ref: pulumi.Output<string>;
  /** The name containerd holds it under. */
  public declare readonly nodeRef: pulumi.Output<string>;
  /** Docker's image ID of the imported content. */
  public declare readonly imageId: pulumi.Output<string>;

  constructor(name: string, args: NodeImageArgs, opts?: pulumi.CustomResourceOptions) {
    const address = pulumi.output(args.containerdAddress).apply((a) => {
      if (!/^(unix:\/\/)?\/\S+$/.test(a)) throw new Error(`NodeImage ${name}: containerdAddress is "${a}"; give the node containerd's socket path (absolute)`);
      return a;
    });
    super(nodeImageProvider, name, { ref: args.ref, nodeRef: pulumi.output(args.ref).apply(containerdRef), address, imageId: undefined }, opts, "cp3", "NodeImage");
  }
}
