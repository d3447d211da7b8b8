import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The project's root: the folder holding Pulumi.yaml, whether this file runs from its source or compiled into dist/. */
export const projectRoot = ((up: string) => (fs.existsSync(path.join(up, "Pulumi.yaml")) ? up : path.dirname(up)))(path.resolve(__dirname, ".."));

/** Expensive, version-keyed things (toolchain builds, the Debian root) live outside the work tree. */
export function cacheRoot(): string {
  const base =
    process.env.CP3_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "cp3-testbed");
  fs.mkdirSync(base, { recursive: true });
  return base;
}

export function cacheDir(...parts: string[]): string {
  const dir = path.join(cacheRoot(), ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Project-local, git-ignored working files (state backend, generated build contexts). */
export function workDir(...parts: string[]): string {
  const dir = path.join(projectRoot, ".cp3", ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function logFile(name: string): string {
  return path.join(cacheDir("logs"), `${name.replace(/[^\w.-]+/g, "-")}.log`);
}

/** Where a stack's image build writes its BuildKit output (one file per image; a new update starts them afresh). */
export function buildLogDir(stack: string): string {
  return cacheDir("logs", "builds", stack.replace(/[^\w.-]+/g, "-"));
}

/** Removes the build logs of stacks not updated for `days` (ci-<run> stacks each leave a folder). */
export function pruneBuildLogs(days: number): void {
  const root = cacheDir("logs", "builds");
  for (const entry of fs.readdirSync(root)) {
    const dir = path.join(root, entry);
    if (Date.now() - fs.statSync(dir).mtimeMs > days * 86_400_000) fs.rmSync(dir, { recursive: true, force: true });
  }
}
