// Running the CLI as a user does (through bin/cp3.cjs), in its own process group like a terminal's foreground
// job, with its output collected for assertions.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../../lib/paths";
import { poll } from "../../lib/poll";

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the output matches, or fails with the output so far after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/** Where to run it: another checkout (a fresh clone) and its environment; by default this one, inheriting ours. */
export interface CliPlace {
  root?: string;
  env?: NodeJS.ProcessEnv;
}

export function startCli(args: string[], place: CliPlace = {}): CliProcess {
  const root = place.root ?? projectRoot;
  const child = spawn(process.execPath, [path.join(root, "bin", "cp3.cjs"), ...args], { cwd: root, env: place.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const collect = (b: Buffer) => (log += b.toString());
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    output: () => log,
    exited,
    async waitFor(pattern, timeoutMs) {
      const never = () => new Error(`output never matched ${pattern} within ${timeoutMs / 1000} s; output:\n${log.slice(-3000)}`);
      const r = await poll(
        async () => {
          const m = pattern.exec(log);
          if (m) return m;
          if (child.exitCode !== null) throw never();
          return undefined;
        },
        { timeoutMs, intervalMs: 200, what: `output matching ${pattern}` },
      );
      if (!r.done) throw never();
      return r.value;
    },
  };
}

/** The CLI's own process (bin/cp3.cjs starts it in a session of its own): the leader of that session's group. */
export function cliMainPid(bootstrapPid: number): number | undefined {
  const children = fs.readFileSync(`/proc/${bootstrapPid}/task/${bootstrapPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return children[0];
}

export async function runCli(args: string[], timeoutMs: number, place: CliPlace = {}): Promise<{ code: number | null; output: string }> {
  const p = startCli(args, place);
  const timer = setTimeout(() => process.kill(-p.child.pid!, "SIGTERM"), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}
