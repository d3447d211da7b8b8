// A process's /proc/<pid>/stat, parsed once for everyone: the command name (field 2) may hold spaces and
// parentheses, so the fields are counted after its last ")".
import * as fs from "node:fs";

export interface ProcStat {
  comm: string;
  /** Field 3: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Field 22, clock ticks after boot: with the pid, it names this process and no later one. */
  startTicks: string;
}

/** The process's stat, or undefined when there is no such process. */
export function procStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(")");
  const rest = text.slice(close + 2).split(" ");
  return { comm: text.slice(text.indexOf("(") + 1, close), state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), session: Number(rest[3]), startTicks: rest[19]! };
}

/** A zombie (or a dead entry) has exited; only its parent has not reaped it yet. */
export const hasExited = (s: ProcStat) => s.state === "Z" || s.state === "X";
