// Who owns a stack on this machine: a small registry (one file per stack, machine-wide, beside the toolchain
// cache) that the orphan sweep reads. A "session" stack lives only as long as the process that made it (a CP3
// run, the main job, a test); a "kept" stack (`cp3 up`) lives until it is destroyed or expires.
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, projectRoot } from "../lib/paths";
import { hasExited, procStat } from "../lib/proc-stat";
import { stackStateExists } from "../lib/stack-files";

export interface Owner {
  stack: string;
  kind: "session" | "kept";
  pid: number;
  /** The process's start time (from /proc), so a reused pid is not taken for the owner. */
  pidStart: string;
  /** The checkout whose state backend holds the stack. */
  projectRoot: string;
  since: string;
}

const ownersDir = () => cacheDir("owners");
const ownerFile = (stack: string) => path.join(ownersDir(), `${stack}.json`);

/** The process's start time (clock ticks after boot); undefined when it is gone or a zombie. */
function processStart(pid: number): string | undefined {
  const s = procStat(pid);
  // A killed process whose parent died too can linger as a zombie until init reaps it: it is dead.
  return s === undefined || hasExited(s) ? undefined : s.startTicks;
}

/** When the process started (Unix ms), from its start time in clock ticks after boot; undefined when it is gone. */
export function processStartedAt(pid: number): number | undefined {
  const ticks = processStart(pid);
  if (ticks === undefined) return undefined;
  const bootSeconds = Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))?.[1]);
  // USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
  return (bootSeconds + Number(ticks) / 100) * 1000;
}

export function claimStack(stack: string, kind: Owner["kind"]): void {
  const owner: Owner = { stack, kind, pid: process.pid, pidStart: processStart(process.pid) ?? "", projectRoot, since: new Date().toISOString() };
  fs.writeFileSync(ownerFile(stack), JSON.stringify(owner, null, 2));
}

export function releaseStack(stack: string): void {
  fs.rmSync(ownerFile(stack), { force: true });
}

export function readOwners(): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const file of fs.readdirSync(ownersDir())) {
    if (!file.endsWith(".json")) continue;
    try {
      const o = JSON.parse(fs.readFileSync(path.join(ownersDir(), file), "utf8")) as Owner;
      owners.set(o.stack, o);
    } catch {
      // A half-written file from a process killed mid-write: nobody can own through it.
    }
  }
  return owners;
}

/** Whether the process that claimed the stack still runs (same pid, same start time). */
export function ownerAlive(o: Owner): boolean {
  const start = processStart(o.pid);
  return start !== undefined && start === o.pidStart;
}

/** Whether a checkout's own file state backend (`<root>/.pulumi-state`, where cp3 keeps it) still holds the stack. */
export function stackInCheckout(root: string, stack: string): boolean {
  return stackStateExists(path.join(root, ".pulumi-state"), stack, root);
}

const sweepLock = (stack: string) => path.join(ownersDir(), `${stack}.sweeping`);

/** An exclusive claim on removing an orphan; a claim left by a dead process is taken over. */
export function claimSweep(stack: string): boolean {
  const lock = sweepLock(stack);
  const mine = JSON.stringify({ pid: process.pid, pidStart: processStart(process.pid) ?? "" });
  try {
    fs.writeFileSync(lock, mine, { flag: "wx" });
    return true;
  } catch {
    try {
      const holder = JSON.parse(fs.readFileSync(lock, "utf8")) as { pid: number; pidStart: string };
      if (processStart(holder.pid) === holder.pidStart) return false;
    } catch {
      // unreadable: written by a process killed mid-write
    }
    fs.writeFileSync(lock, mine);
    return true;
  }
}

export function releaseSweep(stack: string): void {
  fs.rmSync(sweepLock(stack), { force: true });
}
