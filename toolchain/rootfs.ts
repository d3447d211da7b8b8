// The root of every image: a Debian root filesystem made with debootstrap from Debian's packages and imported
// into the engine, because no container registry can be reached. The tarball is cached outside the work
// tree, so a new engine (or a wiped one) gets the image back in seconds.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as docker from "../lib/docker-api";
import { run } from "../lib/exec";
import { cacheDir } from "../lib/paths";
import { versions } from "./tools";
import { ensureDebianPackages } from "./engine";

const debian = versions.debian;

function rootfsKey(): string {
  return createHash("sha256")
    .update(JSON.stringify([debian.suite, debian.mirror, debian.include]))
    .digest("hex")
    .slice(0, 12);
}

/** The engine-local image every testbed image starts FROM. */
export function baseRootImage(): { repo: string; tag: string; ref: string } {
  const repo = "cp3/debian";
  const tag = `${debian.suite}-${rootfsKey()}`;
  return { repo, tag, ref: `${repo}:${tag}` };
}

export async function ensureRootfsTarball(): Promise<{ tarball: string; built: boolean }> {
  const tarball = path.join(cacheDir("rootfs"), `${baseRootImage().tag}.tar`);
  if (fs.existsSync(tarball)) return { tarball, built: false };

  await ensureDebianPackages({ "/usr/sbin/debootstrap": "debootstrap" }, "debian-rootfs");
  const target = fs.mkdtempSync(path.join(cacheDir("rootfs"), "bootstrap-"));
  try {
    await run(
      "/usr/sbin/debootstrap",
      ["--variant=minbase", `--include=${debian.include.join(",")}`, debian.suite, target, debian.mirror],
      { step: "debian-rootfs", log: "debootstrap" },
    );
    // Package caches and lists only make the image larger.
    for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
      fs.rmSync(path.join(target, dir), { recursive: true, force: true });
      fs.mkdirSync(path.join(target, dir), { recursive: true });
    }
    await run("tar", ["--numeric-owner", "-C", target, "-cf", `${tarball}.partial`, "."], {
      step: "debian-rootfs",
      log: "rootfs-tar",
    });
    fs.renameSync(`${tarball}.partial`, tarball);
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
  return { tarball, built: true };
}

/**
 * A stable name for the current Debian root, for a user's own Dockerfiles (`FROM cp3/debian:bookworm`); the
 * testbed's own images use the content-keyed tag, and pass it to builds as CP3_DEBIAN_ROOT.
 */
export const stableRootImage = () => `cp3/debian:${debian.suite}`;

/** Imports the Debian root into the engine unless the image is already there, and points the stable name at it. */
export async function ensureBaseRootImage(): Promise<{ ref: string; imported: boolean }> {
  const image = baseRootImage();
  const imported = !(await docker.imageExists(image.ref));
  if (imported) {
    const { tarball } = await ensureRootfsTarball();
    await docker.importImage(fs.createReadStream(tarball), image.repo, image.tag);
  }
  await docker.tagImage(image.ref, image.repo, debian.suite);
  await keepStockCaBundle();
  return { ref: image.ref, imported };
}

const STOCK_BUNDLE_MEMBER = "./etc/ssl/certs/ca-certificates.crt";
const stockCaBundleFile = () => path.join(cacheDir("rootfs"), `${baseRootImage().tag}.ca-certificates.crt`);

/** Copies the Debian root's own CA bundle out of its tarball once, so a program can compare the host's with it. */
async function keepStockCaBundle(): Promise<void> {
  const file = stockCaBundleFile();
  if (fs.existsSync(file)) return;
  const { tarball } = await ensureRootfsTarball();
  const bundle = await run("tar", ["-xOf", tarball, STOCK_BUNDLE_MEMBER], { step: "debian-rootfs", log: "stock-ca-bundle" });
  fs.writeFileSync(`${file}.partial`, bundle);
  fs.renameSync(`${file}.partial`, file);
}

/** The CA bundle Debian's ca-certificates package puts in the root every image starts from; undefined before setup. */
export function stockCaBundle(): string | undefined {
  try {
    return fs.readFileSync(stockCaBundleFile(), "utf8");
  } catch {
    return undefined;
  }
}
