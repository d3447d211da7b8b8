// The cluster's processes: started in the background (their own session, output to a log file), recorded with
// their pid and start time (so a reused pid is never taken for ours), stopped with SIGTERM then SIGKILL.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { poll } from "../lib/poll";
import { hasExited, procStat } from "../lib/proc-stat";
import { files } from "./layout";

export interface ProcessRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, it names this process and no later one. */
  startTicks: string;
  log: string;
  command: string[];
}

export interface ClusterState {
  startedAt: string;
  /** A process whose end makes the cluster an orphan (tests); none for `cp3 cluster up` (kept until down). */
  ownerPid?: number;
  ownerStartTicks?: string;
  processes: ProcessRecord[];
  /** Kernel tunables as they were before the first process started; `down` writes them back. */
  sysctls: Record<string, string>;
  /** Host directories that did not exist before up (down removes them when empty). */
  createdDirs?: string[];
}

export function readState(): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(files.state(), "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(state: ClusterState): void {
  fs.writeFileSync(`${files.state()}.partial`, JSON.stringify(state, null, 2) + "\n");
  fs.renameSync(`${files.state()}.partial`, files.state());
}

export function removeState(): void {
  fs.rmSync(files.state(), { force: true });
}


/** The very process that was recorded, still running (a zombie counts as gone). */
export function isAlive(p: { pid: number; startTicks: string }): boolean {
  const s = procStat(p.pid);
  return s !== undefined && s.startTicks === p.startTicks && !hasExited(s);
}

/** Starts a command in its own session with its output appended to its log; returns once it has a pid. */
export function startBackground(name: string, command: string[], env?: NodeJS.ProcessEnv): ProcessRecord {
  const log = files.log(name);
  const fd = fs.openSync(log, "a");
  fs.writeSync(fd, `\n==== ${new Date().toISOString()} ${command.join(" ")}\n`);
  const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ["ignore", fd, fd], env: env ?? process.env });
  fs.closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command[0]})`);
  // Reaped by Node when it ends while we still run; the record below never matches a later process.
  child.on("error", () => undefined);
  const stat = procStat(child.pid);
  return { name, pid: child.pid, startTicks: stat?.startTicks ?? "", log, command };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(p: { pid: number; startTicks: string }, graceMs = 10_000): Promise<"gone" | "terminated" | "killed"> {
  if (!isAlive(p)) return "gone";
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(p.pid, s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const r = await poll(async () => (isAlive(p) ? undefined : true), { timeoutMs: graceMs, intervalMs: 100, what: `pid ${p.pid} to end` });
  if (r.done) return "terminated";
  signal("SIGKILL");
  await poll(async () => (isAlive(p) ? undefined : true), { timeoutMs: 5_000, intervalMs: 100, what: `pid ${p.pid} to end after SIGKILL` });
  await sleep(0);
  return "killed";
}

/** The last lines of a log, for error messages. */
export function logTail(log: string, lines = 15): string {
  try {
    return fs.readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Pids of processes whose command line names `dir` (ours all take a file in the cluster folder) and whose
 * executable is one of `executables` (so a user's `tail -f` of a log is never taken for ours).
 */
export function processesNaming(dir: string, executables: (exe: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes(dir) && procStat(pid)?.state !== "Z" && executables(fs.readlinkSync(`/proc/${pid}/exe`))) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
