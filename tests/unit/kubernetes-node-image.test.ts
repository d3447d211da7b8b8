// NodeImage's provider against stand-in `docker` and `ctr` commands that record what they are asked: which
// commands it runs, in which order, and when it skips the import. (Not a proof that an image reaches a real
// node: that needs the cluster.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeImageProvider } from "../../components/kubernetes/node-image";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-node-image-"));
const log = path.join(dir, "calls.log");
const labels = path.join(dir, "labels");
const state = { ref: "cp3/nats:0123456789abcdef", nodeRef: "docker.io/cp3/nats:0123456789abcdef", address: "/run/cp3-k8s/containerd.sock" };

beforeAll(() => {
  const script = (body: string) => `#!/bin/bash\necho "$(basename "$0") $*" >> ${log}\n${body}\n`;
  fs.writeFileSync(path.join(dir, "docker"), script(`case "$1" in image) echo "\${FAKE_IMAGE_ID:-sha256:aaa}";; save) echo tar-stream;; esac`), { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, "ctr"),
    script(`case "$6" in
  ls) echo "REF TYPE DIGEST SIZE PLATFORMS LABELS"; if [ -f ${labels} ]; then echo "${state.nodeRef} application/vnd.docker.distribution.manifest.v2+json sha256:d 10.0 MiB linux/amd64 $(cat ${labels})"; fi;;
  import) cat > /dev/null;;
  label) echo "$8" > ${labels};;
esac`),
    { mode: 0o755 },
  );
  process.env.PATH = `${dir}:${process.env.PATH}`;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
const ctr = `ctr -a ${state.address} -n k8s.io`;

describe("NodeImage's provider", () => {
  it("imports with docker save | ctr import into k8s.io and labels the copy with Docker's image ID", async () => {
    const r = await nodeImageProvider.create!(state);
    expect(r).toEqual({ id: state.nodeRef, outs: { ...state, imageId: "sha256:aaa" } });
    const c = calls();
    expect(c.slice(0, 2)).toEqual([`docker image inspect --format {{.Id}} ${state.ref}`, `${ctr} images ls name==${state.nodeRef}`]);
    // The two ends of one pipe start together.
    expect(c.slice(2, 4).sort()).toEqual([`${ctr} images import -`, `docker save ${state.ref}`]);
    expect(c.slice(4)).toEqual([`${ctr} images label ${state.nodeRef} cp3.image-id=sha256:aaa`]);
  });

  it("skips the import when the node already holds this content, and sees no change", async () => {
    fs.rmSync(log);
    await nodeImageProvider.create!(state);
    expect(calls().some((c) => c.includes("import") || c.startsWith("docker save"))).toBe(false);
    expect(await nodeImageProvider.diff!(state.nodeRef, { ...state, imageId: "sha256:aaa" }, state)).toEqual({ changes: false });
  });

  it("sees a change when the engine's image under the same name is new, and imports it again", async () => {
    process.env.FAKE_IMAGE_ID = "sha256:bbb";
    expect(await nodeImageProvider.diff!(state.nodeRef, { ...state, imageId: "sha256:aaa" }, state)).toEqual({ changes: true });
    fs.rmSync(log);
    expect((await nodeImageProvider.update!(state.nodeRef, { ...state, imageId: "sha256:aaa" }, state)).outs).toMatchObject({ imageId: "sha256:bbb" });
    expect(calls()).toContain(`${ctr} images import -`);
    delete process.env.FAKE_IMAGE_ID;
  });

  it("fails naming the command when docker save fails (pipefail), and leaves the image on delete", async () => {
    fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash\ncase "$1" in image) echo sha256:ccc;; save) echo "no such image" >&2; exit 1;; esac\n`, { mode: 0o755 });
    await expect(nodeImageProvider.create!(state)).rejects.toThrow(/NodeImage cp3\/nats:0123456789abcdef: `bash -o pipefail -c docker save .*` failed \(exit 1: no such image\)/);
    fs.rmSync(log);
    await nodeImageProvider.delete!(state.nodeRef, state);
    expect(calls()).toEqual([]);
  });
});
