// What a run started and left behind. The CLI leads a session of its own (bin/cp3.cjs), so every process it
// started and did not detach on purpose (dockerd and the cluster's processes are) shares its session, orphans
// included: a Pulumi program whose CLI was killed mid-operation can wait forever on an engine that is gone.
// Ending such strays when the CLI ends keeps the promise that no process of a run outlives it. The CLI's own
// children are not strays: it waits for what it runs, and its helpers (tsx's esbuild) end with it.
import * as fs from "node:fs";
import { hasExited, procStat } from "./proc-stat";
import { poll } from "./poll";

/** The live processes of this process's session that are not it or its children; none unless it leads the session. */
export function sessionStrays(): { pid: number; comm: string }[] {
  if (procStat(process.pid)?.session !== process.pid) return [];
  const strays: { pid: number; comm: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const stat = procStat(pid);
    if (stat && stat.session === process.pid && stat.ppid !== process.pid && !hasExited(stat)) strays.push({ pid, comm: stat.comm });
  }
  return strays;
}

const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name);
  } catch {
    // ended in the meantime
  }
};

/** SIGTERM to each stray, SIGKILL to those still there after `graceMs`; returns what was found. */
export async function endSessionStrays(graceMs = 5_000): Promise<{ pid: number; comm: string }[]> {
  const strays = sessionStrays();
  if (strays.length === 0) return strays;
  for (const p of strays) signal(p.pid, "SIGTERM");
  const live = () => strays.filter((p) => sessionStrays().some((q) => q.pid === p.pid));
  await poll(async () => (live().length === 0 ? true : undefined), { timeoutMs: graceMs, intervalMs: 100, what: "stray processes ending" });
  for (const p of live()) signal(p.pid, "SIGKILL");
  return strays;
}
