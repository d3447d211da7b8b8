// What the image checks and the package scan read of an image's filesystem, in one pass over it: the flattened
// filesystem of a container created from the image and never started (the engine's export), read as a tar
// stream, so nothing runs and nothing is written.
import * as fs from "node:fs";
import * as path from "node:path";
import { extract } from "tar-stream";
import { cacheDir } from "../lib/paths";
import * as docker from "../lib/docker-api";

export interface ImageFiles {
  /** Regular files with the setuid or setgid bit, with their mode. */
  setid: { path: string; mode: number }[];
  /** Package manager caches left in the image: the folder and how many files it holds. */
  caches: { path: string; files: number }[];
  /** Contents of the few files read whole (dpkg's database, os-release), by path. */
  files: Record<string, string>;
  /** Every regular file's path and size, for the SBOM's npm and Go parts. */
  entries: number;
}

/** Files read whole. */
export const READ_WHOLE = ["var/lib/dpkg/status", "etc/os-release", "usr/lib/os-release"];

/** A cache folder a path falls in, or undefined. Each pattern names the folder a package manager fills. */
export function cacheFolderOf(path: string): string | undefined {
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    // apt's downloaded lists (not the lock or the empty partial/ folder) and archives, and its binary caches.
    [/^var\/lib\/apt\/lists\/(?!lock$|partial\/|auxfiles\/)[^/]+$/, () => "var/lib/apt/lists"],
    [/^var\/cache\/apt\/archives\/[^/]+\.deb$/, () => "var/cache/apt/archives"],
    [/^var\/cache\/apt\/[^/]+\.bin$/, () => "var/cache/apt"],
    [/^(.*\/)?\.npm\/_cacache\//, (m) => `${m[1] ?? ""}.npm/_cacache`],
    [/^(.*\/)?\.cache\/(pip|go-build|yarn|node-gyp)\//, (m) => `${m[1] ?? ""}.cache/${m[2]}`],
    [/^(.*\/)?\.cargo\/registry\/cache\//, (m) => `${m[1] ?? ""}.cargo/registry/cache`],
  ];
  for (const [pattern, folder] of rules) {
    const m = pattern.exec(path);
    if (m) return folder(m);
  }
  return undefined;
}

/** Reads an exported filesystem (a tar stream). */
export async function readFilesystem(tar: NodeJS.ReadableStream): Promise<ImageFiles> {
  const result: ImageFiles = { setid: [], caches: [], files: {}, entries: 0 };
  const caches = new Map<string, number>();
  const parser = extract();
  const done = new Promise<void>((resolve, reject) => {
    parser.on("entry", (header, stream, next) => {
      const path = header.name.replace(/^\.?\//, "");
      if (header.type === "file") {
        result.entries++;
        if ((header.mode ?? 0) & 0o6000) result.setid.push({ path: `/${path}`, mode: header.mode ?? 0 });
        const cache = cacheFolderOf(path);
        if (cache) caches.set(cache, (caches.get(cache) ?? 0) + 1);
      }
      if (header.type === "file" && READ_WHOLE.includes(path)) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: unknown) => chunks.push(c as Buffer));
        stream.on("end", () => {
          result.files[`/${path}`] = Buffer.concat(chunks).toString("utf8");
          next();
        });
      } else {
        stream.on("end", () => next());
        stream.resume();
      }
    });
    parser.on("finish", () => resolve());
    parser.on("error", reject);
  });
  tar.pipe(parser);
  await done;
  result.caches = [...caches].map(([path, files]) => ({ path: `/${path}`, files })).sort((a, b) => a.path.localeCompare(b.path));
  return result;
}

/**
 * The image's filesystem as ImageFiles; the container made to export it is always removed. An image ID names
 * its content, so what was read is kept per ID and an image is read once. `labels` go on the container (a
 * stack's cp3.stack, so the orphan sweep removes it with the stack's objects should this process die first).
 */
export async function readImageFiles(image: string, imageId: string, labels: Record<string, string> = {}): Promise<ImageFiles> {
  const cached = path.join(cacheDir("image-files"), `${imageId.replace(/^sha256:/, "")}.json`);
  if (fs.existsSync(cached)) return JSON.parse(fs.readFileSync(cached, "utf8")) as ImageFiles;
  const id = await docker.createStoppedContainer(image, { ...labels, "cp3.purpose": "image-scan" });
  try {
    const files = await readFilesystem(await docker.exportContainer(id));
    fs.writeFileSync(`${cached}.partial`, JSON.stringify(files));
    fs.renameSync(`${cached}.partial`, cached);
    return files;
  } finally {
    await docker.removeContainer(id).catch(() => undefined);
  }
}
