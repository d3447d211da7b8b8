// The newest version of every Debian package in the suites an image's packages come from (bookworm,
// bookworm-updates, bookworm-security), from the archive's own indices: InRelease verified with gpgv against
// Debian's archive keyring, then Packages.xz checked against the SHA-256 it lists, the way apt trusts them.
// Indices are cached outside the work tree; a cached one younger than maxAgeHours is used without asking the
// mirror, and an older one is used (and said to be) when the mirror cannot be reached.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { type SuiteSource } from "../lib/debian-suites";
import { cacheDir } from "../lib/paths";

const exec = promisify(execFile);
export const ARCHIVE_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

export interface SuiteIndex {
  suite: string;
  /** The InRelease's Date: how current the answer is. */
  date: string;
  /** Package name -> newest version in this suite (for the architecture or "all"). */
  newest: Map<string, string>;
  /** True when the mirror could not be reached and an older cached index was used. */
  stale: boolean;
}

async function download(url: string, file: string): Promise<void> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!answer.ok) throw new Error(`GET ${url}: ${answer.status} ${answer.statusText}`);
  fs.writeFileSync(`${file}.partial`, Buffer.from(await answer.arrayBuffer()));
  fs.renameSync(`${file}.partial`, file);
}

/** The SHA-256 InRelease lists for `member` (e.g. main/binary-amd64/Packages.xz). */
export function listedSha256(inRelease: string, member: string): string | undefined {
  const section = (inRelease.split(/^SHA256:[ \t]*$/m)[1] ?? "").replace(/^\r?\n/, "");
  for (const line of section.split("\n")) {
    if (!line.startsWith(" ")) break;
    const [hash, , name] = line.trim().split(/\s+/);
    if (name === member) return hash;
  }
  return undefined;
}

/** Package name -> newest version, from a Packages file, for `arch` and "all". */
export function newestVersions(packagesText: string, arch: string, compare: (a: string, b: string) => number): Map<string, string> {
  const newest = new Map<string, string>();
  for (const stanza of packagesText.split(/\n\n+/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    const a = /^Architecture: (.+)$/m.exec(stanza)?.[1];
    if (!name || !version || (a !== arch && a !== "all")) continue;
    const seen = newest.get(name);
    if (seen === undefined || compare(version, seen) > 0) newest.set(name, version);
  }
  return newest;
}

async function fetchVerified(source: SuiteSource, arch: string, dir: string): Promise<void> {
  const base = `${source.mirror.replace(/\/$/, "")}/dists/${source.suite}`;
  const member = `main/binary-${arch}/Packages.xz`;
  await download(`${base}/InRelease`, path.join(dir, "InRelease.new"));
  try {
    await exec("gpgv", ["--keyring", ARCHIVE_KEYRING, path.join(dir, "InRelease.new")]);
  } catch (err) {
    throw new Error(`${base}/InRelease: its signature does not verify against ${ARCHIVE_KEYRING}: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`, { cause: err });
  }
  const expected = listedSha256(fs.readFileSync(path.join(dir, "InRelease.new"), "utf8"), member);
  if (!expected) throw new Error(`${base}/InRelease lists no ${member}`);
  await download(`${base}/${member}`, path.join(dir, "Packages.xz.new"));
  const got = createHash("sha256").update(fs.readFileSync(path.join(dir, "Packages.xz.new"))).digest("hex");
  if (got !== expected) throw new Error(`${base}/${member}: SHA-256 ${got}, but InRelease lists ${expected}`);
  fs.renameSync(path.join(dir, "Packages.xz.new"), path.join(dir, "Packages.xz"));
  fs.renameSync(path.join(dir, "InRelease.new"), path.join(dir, "InRelease"));
}

export interface IndexOptions {
  arch: string;
  compare: (a: string, b: string) => number;
  /** @default 6 */
  maxAgeHours?: number;
  /** Logs a line when the mirror is asked or a stale index is used. */
  say?: (line: string) => void;
}

/** The suite's index: fresh from the mirror when the cached one is older than maxAgeHours. */
export async function loadSuiteIndex(source: SuiteSource, options: IndexOptions): Promise<SuiteIndex> {
  const key = createHash("sha256").update(`${source.mirror}|${source.suite}|${options.arch}`).digest("hex").slice(0, 12);
  const dir = cacheDir("debian-index", `${source.suite}-${key}`);
  const cached = path.join(dir, "Packages.xz");
  const ageHours = fs.existsSync(cached) ? (Date.now() - fs.statSync(cached).mtimeMs) / 3_600_000 : Infinity;
  let stale = false;
  if (ageHours > (options.maxAgeHours ?? 6)) {
    try {
      options.say?.(`index ${source.suite}: fetching from ${source.mirror}`);
      await fetchVerified(source, options.arch, dir);
    } catch (err) {
      if (!fs.existsSync(cached)) throw err;
      stale = true;
      options.say?.(`index ${source.suite}: ${(err as Error).message}; using the cached index of ${new Date(fs.statSync(cached).mtimeMs).toISOString()}`);
    }
  }
  const { stdout } = await exec("xz", ["-dc", cached], { maxBuffer: 512 << 20, encoding: "utf8" });
  const date = /^Date: (.+)$/m.exec(fs.readFileSync(path.join(dir, "InRelease"), "utf8"))?.[1] ?? "";
  return { suite: source.suite, date, newest: newestVersions(stdout, options.arch, options.compare), stale };
}
