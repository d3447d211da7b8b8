// A fresh clone of the committed tree, as a new user gets it: its own node_modules (its first cp3 command runs
// `npm ci`, from npm's cache once warm), its own state backend and generated stack files, and no passphrase and
// no toolchain in its environment.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../lib/paths";

export interface Clone {
  dir: string;
  /** The environment of a new user's shell: nothing of this test process's set-up in it. */
  env: NodeJS.ProcessEnv;
  /** `git status --porcelain` in the clone: empty when the clone is clean. */
  gitStatus(): string;
  remove(): void;
}

// Never a link to this checkout's node_modules: the clone's bootstrap runs `npm ci` whenever it finds the lock
// file newer, and through a link that empties this checkout's node_modules.
export function freshClone(label: string): Clone {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cp3-${label}-`));
  execFileSync("git", ["clone", "--quiet", projectRoot, dir]);
  // What `cp3 test` and vitest set in this process (the state backend and passphrase above all) stays out.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(PULUMI_(BACKEND_URL|CONFIG_PASSPHRASE|CONFIG_PASSPHRASE_FILE|SKIP_UPDATE_CHECK|DISABLE_AUTOMATIC_PLUGIN_ACQUISITION|NODEJS_TRANSPILE_ONLY)|CP3_(TOOLCHAIN_BIN|PINNED_NODE|BOOTSTRAP_STARTED)|VITEST.*|NODE_ENV)$/.test(key)) delete env[key];
  }
  // `cp3 test` put the toolchain first on PATH; a new user's shell does not have it.
  const toolchainBin = process.env.CP3_TOOLCHAIN_BIN;
  env.PATH = (env.PATH ?? "")
    .split(path.delimiter)
    .filter((p) => p !== toolchainBin)
    .join(path.delimiter);
  return {
    dir,
    env,
    gitStatus: () => execFileSync("git", ["status", "--porcelain"], { cwd: dir, encoding: "utf8" }),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
