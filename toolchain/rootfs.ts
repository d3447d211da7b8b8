// The root of every image: a Debian root filesystem made with debootstrap from Debian's packages and imported
// into the engine, because no container registry can be reached. The tarball is cached outside the work
// tree, so a new engine (or a wiped one) gets the image back in seconds.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as docker from "../lib/docker-api";
import { run } from "../lib/exec";
import { suitesOf } from "../lib/debian-suites";
import { cacheDir } from "../lib/paths";
import { versions } from "./tools";
import { ensureDebianPackages } from "./engine";

const debian = versions.debian;

/**
 * The recipe and the month: a root is remade (and every image on it rebuilt) each month, so the security
 * updates it carries are never more than a month behind; `cp3 scan` lists what came out since.
 */
function rootfsKey(now = new Date()): string {
  return createHash("sha256")
    .update(JSON.stringify([debian.suite, debian.mirror, debian.include, ROOT_RECIPE, now.toISOString().slice(0, 7)]))
    .digest("hex")
    .slice(0, 12);
}

/** Bumped when the way the root is made changes. */
const ROOT_RECIPE = 2;

/** The suites every image's packages come from: the release, its updates and its security updates. */
export function aptSources(): string {
  return [...suitesOf(debian.suite, debian.mirror).map((s) => `deb ${s.mirror} ${s.suite} main`), ""].join("\n");
}

// apt keeps no binary caches (pkgcache.bin, srcpkgcache.bin) and no downloaded archives in any image built on
// the root, as Debian's own container images do; `apt-get update`'s lists are for each Dockerfile to remove.
const APT_NO_CACHE = `// cp3: no package caches in images (the image checks' rule CP3-IMAGE-CACHE)
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
`;

/** Clears the setuid and setgid bits of every regular file under `root` (CIS Docker Benchmark 4.8); returns them. */
export function stripSetid(root: string): string[] {
  const stripped: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const mode = fs.lstatSync(full).mode;
        if (mode & 0o6000) {
          fs.chmodSync(full, mode & 0o1777);
          stripped.push(`/${path.relative(root, full)}`);
        }
      }
    }
  };
  walk(root);
  return stripped;
}

/** Where the package lists the current root was upgraded from are kept (files named like apt's, *_Packages). */
export const rootBuildListsDir = () => path.join(cacheDir("rootfs"), `${baseRootImage().tag}.lists`);

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
    // The release's point-release packages, brought up to date with its updates and security suites, so an
    // image built today has no pending security update (`cp3 scan`).
    fs.writeFileSync(path.join(target, "etc/apt/sources.list"), aptSources());
    fs.writeFileSync(path.join(target, "etc/apt/apt.conf.d/docker-clean"), APT_NO_CACHE);
    await run("chroot", [target, "apt-get", "-qq", "update"], { step: "debian-rootfs", log: "root-apt-update" });
    await run("chroot", [target, "apt-get", "-qq", "-y", "-o", "Dpkg::Options::=--force-confold", "upgrade"], { step: "debian-rootfs", log: "root-apt-upgrade", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    stripSetid(target);
    // The package lists the root was brought up to date from: what was out when it was made (an image that lacks
    // an update older than these did not apply it; tests/integration/testbed.test.ts).
    const lists = rootBuildListsDir();
    fs.rmSync(lists, { recursive: true, force: true });
    fs.mkdirSync(lists, { recursive: true });
    for (const f of fs.readdirSync(path.join(target, "var/lib/apt/lists"))) if (f.endsWith("_Packages")) fs.copyFileSync(path.join(target, "var/lib/apt/lists", f), path.join(lists, f));
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
    // Earlier months' roots are not needed again.
    for (const f of fs.readdirSync(cacheDir("rootfs"))) {
      if (f.startsWith(`${debian.suite}-`) && !f.startsWith(baseRootImage().tag)) fs.rmSync(path.join(cacheDir("rootfs"), f), { recursive: true, force: true });
    }
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
