// Stages an image's build context in a git-ignored folder: the image's own folder under images/, plus files
// or folders from elsewhere (built binaries, workload code), with a content hash of everything in it that
// becomes the image tag. An unchanged context keeps its tag, so nothing is rebuilt.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot, workDir } from "../lib/paths";

export interface BuildContext {
  dir: string;
  hash: string;
}

/** Every file below `source` (a file or a folder), as [path inside the context, absolute source path]. */
function expand(target: string, source: string): [string, string][] {
  const real = fs.realpathSync(source);
  if (!fs.statSync(real).isDirectory()) return [[target, real]];
  return fs
    .readdirSync(real, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const abs = path.join(e.parentPath, e.name);
      return [path.join(target, path.relative(real, abs)), abs] as [string, string];
    });
}

/**
 * Each file's sha256, remembered by path, size, mtime and inode in `.cp3/digests/<context>.json`: the base
 * context is some 3,000 files and 140 MB (Node.js and node_modules), read whole on every update before this (about
 * a second of each `up`). The copy into the context trusts size and mtime the same way.
 */
class FileDigests {
  private readonly file: string;
  private readonly known: Record<string, string>;
  private readonly used: Record<string, string> = {};

  constructor(context: string) {
    this.file = path.join(workDir("digests"), `${context}.json`);
    try {
      this.known = JSON.parse(fs.readFileSync(this.file, "utf8")) as Record<string, string>;
    } catch {
      this.known = {};
    }
  }

  of(abs: string, stat: fs.Stats): string {
    const key = `${abs}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}`;
    const digest = this.known[key] ?? createHash("sha256").update(fs.readFileSync(abs)).digest("hex");
    this.used[key] = digest;
    return digest;
  }

  /** Keeps only the files of this staging; written whole and renamed in, as programs stage side by side. */
  save(): void {
    const next = `${this.file}.${process.pid}`;
    fs.writeFileSync(next, JSON.stringify(this.used));
    fs.renameSync(next, this.file);
  }
}

/**
 * Stages context `name` from images/<image>/ and `extra` entries (path inside the context -> file or folder).
 */
export function stageContext(name: string, image: string, extra: Record<string, string> = {}): BuildContext {
  const files = new Map<string, string>(expand(".", path.join(projectRoot, "images", image)));
  for (const [target, source] of Object.entries(extra)) for (const [t, s] of expand(target, source)) files.set(path.normalize(t), s);

  const dir = workDir("contexts", name);
  const hash = createHash("sha256");
  const digests = new FileDigests(name);
  const wanted = new Set<string>();
  for (const rel of [...files.keys()].sort()) {
    const from = files.get(rel)!;
    const to = path.join(dir, rel);
    wanted.add(to);
    const stat = fs.statSync(from);
    hash.update(`${rel}\0${stat.mode & 0o111 ? "x" : "-"}\0${digests.of(from, stat)}\0`);
    // Copy only what changed: binaries are tens of MB.
    const current = fs.existsSync(to) ? fs.statSync(to) : undefined;
    if (!current || current.size !== stat.size || current.mtimeMs < stat.mtimeMs) {
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
      fs.chmodSync(to, stat.mode & 0o777);
    }
  }
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const abs = path.join(e.parentPath, e.name);
    if (e.isFile() && !wanted.has(abs)) fs.rmSync(abs, { force: true });
  }
  digests.save();
  return { dir, hash: hash.digest("hex") };
}

/**
 * A build context that is a folder of the user's own (a Dockerfile and what it copies), used where it is; its
 * content hash (every file's path, mode and bytes) becomes the image tag.
 */
export function folderContext(dir: string): BuildContext {
  const hash = createHash("sha256");
  for (const [rel, abs] of expand(".", dir).sort(([a], [b]) => a.localeCompare(b))) {
    const stat = fs.statSync(abs);
    hash.update(`${rel}\0${stat.mode & 0o111 ? "x" : "-"}\0`).update(fs.readFileSync(abs));
  }
  return { dir: fs.realpathSync(dir), hash: hash.digest("hex") };
}

/** A binary from the toolchain that `cp3 setup` prepared; the program never builds anything itself. */
export function toolchainBinary(name: string): string {
  const binDir = process.env.CP3_TOOLCHAIN_BIN;
  const candidate = binDir ? path.join(binDir, name) : undefined;
  if (!candidate || !fs.existsSync(candidate)) {
    throw new Error(`${name} was not found in the toolchain (CP3_TOOLCHAIN_BIN=${binDir ?? "unset"}): run \`npm run cp3 -- setup\`, or eval "$(npm run -s cp3 -- setup --env)" before a plain \`pulumi up\``);
  }
  return candidate;
}

export const workloadPath = (...parts: string[]) => path.join(projectRoot, "workload", ...parts);
