// Images into the node: `docker save | ctr import` into containerd's k8s.io namespace, where they appear as
// docker.io/<name>:<tag>; pods run them with imagePullPolicy Never. An image already there with the same
// ID (the config digest, the same in Docker and in containerd) is skipped, so a warm import is one lookup.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../lib/exec";
import * as docker from "../lib/docker-api";
import { PAUSE_IMAGE_REPO } from "./config";
import { files } from "./layout";

/** The name containerd (and a pod spec) gives a Docker image reference: docker.io/<repo>:<tag>. */
export function nodeImageName(ref: string): string {
  const withTag = /:[^/]+$/.test(ref) ? ref : `${ref}:latest`;
  const first = withTag.split("/")[0]!;
  const hasRegistry = withTag.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry) return withTag;
  return withTag.includes("/") ? `docker.io/${withTag}` : `docker.io/library/${withTag}`;
}

export function ctrArgs(...args: string[]): string[] {
  return ["-a", files.containerdSocket(), "-n", "k8s.io", ...args];
}

/** Image name -> ID (config digest) of what the node holds. */
async function nodeImages(crictl: string): Promise<Map<string, string>> {
  const out = await run(crictl, ["--config", files.crictlConfig(), "images", "-o", "json"], { step: "node images", log: "cluster-images" });
  const list = (JSON.parse(out) as { images: { id: string; repoTags: string[] | null }[] }).images;
  const byName = new Map<string, string>();
  for (const img of list) for (const tag of img.repoTags ?? []) byName.set(tag, img.id);
  return byName;
}

/** Imports Docker images into the node, skipping those already there unchanged; returns the refs imported. */
export async function importImagesWith(crictl: string, ctr: string, refs: string[]): Promise<string[]> {
  const have = await nodeImages(crictl);
  const wanted: string[] = [];
  for (const ref of refs) {
    const id = ((await docker.request<{ Id: string }>(`/images/${encodeURIComponent(ref)}/json`).catch(() => undefined)) ?? { Id: "" }).Id;
    if (!id) throw new Error(`importImages: ${ref} is not in the Docker engine; build or tag it first`);
    if (have.get(nodeImageName(ref)) !== id) wanted.push(ref);
  }
  if (wanted.length === 0) return [];
  // One archive for all: shared layers travel once.
  const tar = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cp3-images-")), "images.tar");
  try {
    await run("docker", ["save", "-o", tar, ...wanted], { step: "import images into the node", log: "cluster-images-save" });
    await run(ctr, ctrArgs("images", "import", tar), { step: "import images into the node", log: "cluster-images-import" });
  } finally {
    fs.rmSync(path.dirname(tar), { recursive: true, force: true });
  }
  return wanted;
}

/** The pause image: FROM scratch, the static pause binary, USER 65535:65535; built into Docker once. */
export async function ensurePauseImage(pauseBinary: string, version: string): Promise<string> {
  const ref = `${PAUSE_IMAGE_REPO}:${version}`;
  if (await docker.imageExists(ref)) return ref;
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-pause-"));
  try {
    fs.copyFileSync(pauseBinary, path.join(ctx, "pause"));
    fs.chmodSync(path.join(ctx, "pause"), 0o755);
    fs.writeFileSync(path.join(ctx, "Dockerfile"), 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n');
    await run("docker", ["build", "-q", "-t", ref, ctx], { step: "pause image", log: "cluster-pause-image", env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
  return ref;
}
