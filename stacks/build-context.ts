// Stages an image's build context: the files under images/<name>/ plus binaries from the toolchain, in a
// git-ignored folder, with a content hash that becomes the image tag.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot, workDir } from "../lib/paths";

export interface BuildContext {
  dir: string;
  hash: string;
}

/** `extra` maps a file name inside the context to a file outside it (for example a built binary). */
export function stageContext(image: string, extra: Record<string, string> = {}): BuildContext {
  const source = path.join(projectRoot, "images", image);
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(source)) files[name] = path.join(source, name);
  Object.assign(files, extra);

  const dir = workDir("contexts", image);
  const hash = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    const from = fs.realpathSync(files[name]!);
    const to = path.join(dir, name);
    const stat = fs.statSync(from);
    hash.update(`${name}\0${stat.mode & 0o111 ? "x" : "-"}\0`).update(fs.readFileSync(from));
    // Copy only what changed: binaries are tens of MB.
    const current = fs.existsSync(to) ? fs.statSync(to) : undefined;
    if (!current || current.size !== stat.size || current.mtimeMs < stat.mtimeMs) {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, stat.mode & 0o777);
    }
  }
  for (const stale of fs.readdirSync(dir)) if (!(stale in files)) fs.rmSync(path.join(dir, stale), { force: true });
  return { dir, hash: hash.digest("hex") };
}

/** A binary from the toolchain that `cp3 setup` built; the program never builds anything itself. */
export function toolchainBinary(name: string): string {
  const binDir = process.env.CP3_TOOLCHAIN_BIN;
  const candidate = binDir ? path.join(binDir, name) : undefined;
  if (!candidate || !fs.existsSync(candidate)) {
    throw new Error(`${name} was not found in the toolchain (CP3_TOOLCHAIN_BIN=${binDir ?? "unset"}): run \`npm run cp3 -- setup\`, or eval "$(npm run -s cp3 -- setup --env)" before a plain \`pulumi up\``);
  }
  return candidate;
}
