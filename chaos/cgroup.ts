// A container's cgroup seen from the host: CPU time, throttling, memory and the processes in it. Works with
// cgroup v1 (this engine: cgroupfs driver, /sys/fs/cgroup/<controller>/docker/<id>) and v2.
import * as fs from "node:fs";
import { procStat } from "../lib/proc-stat";

const ROOT = "/sys/fs/cgroup";
const isV2 = () => fs.existsSync(`${ROOT}/cgroup.controllers`);

/** The directory of `controller` for process `pid`, from /proc/<pid>/cgroup. */
export function cgroupDir(pid: number, controller: string): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  if (isV2()) {
    const path = lines.find((l) => l.startsWith("0::"))?.slice(3);
    if (path === undefined) throw new Error(`no cgroup v2 entry for pid ${pid}`);
    return `${ROOT}${path}`;
  }
  for (const line of lines) {
    const [, controllers, path] = line.split(":");
    const names = (controllers ?? "").split(",");
    if (!names.includes(controller) || path === undefined) continue;
    for (const dir of [`${ROOT}/${controllers}${path}`, `${ROOT}/${controller}${path}`]) if (fs.existsSync(dir)) return dir;
  }
  throw new Error(`no ${controller} cgroup found for pid ${pid}`);
}

const read = (file: string) => fs.readFileSync(file, "utf8");
const statField = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, "m").exec(text)?.[1] ?? 0);

/** CPU seconds used by the whole cgroup so far. */
export function cpuSeconds(pid: number): number {
  if (isV2()) return statField(read(`${cgroupDir(pid, "cpu")}/cpu.stat`), "usage_usec") / 1e6;
  return Number(read(`${cgroupDir(pid, "cpuacct")}/cpuacct.usage`)) / 1e9;
}

/** CFS periods so far and how many of them were throttled (the CPU limit bit). */
export function throttling(pid: number): { periods: number; throttled: number } {
  const text = read(`${cgroupDir(pid, "cpu")}/cpu.stat`);
  return { periods: statField(text, "nr_periods"), throttled: statField(text, "nr_throttled") };
}

export function memoryBytes(pid: number): number {
  if (isV2()) return Number(read(`${cgroupDir(pid, "memory")}/memory.current`));
  return Number(read(`${cgroupDir(pid, "memory")}/memory.usage_in_bytes`));
}

/**
 * Anonymous resident memory of the cgroup: unlike usage_in_bytes/memory.current it leaves out the page cache, so
 * a service writing files does not look like it leaks.
 */
export function memoryRssBytes(pid: number): number {
  const text = read(`${cgroupDir(pid, "memory")}/memory.stat`);
  if (isV2()) return statField(text, "anon");
  return /^total_rss /m.test(text) ? statField(text, "total_rss") : statField(text, "rss");
}

/** Host PIDs of every process in the container's cgroup. */
export function processes(pid: number): number[] {
  const dir = isV2() ? cgroupDir(pid, "") : cgroupDir(pid, "pids");
  return read(`${dir}/cgroup.procs`).trim().split("\n").filter(Boolean).map(Number);
}

/** A process's command line, arguments joined by spaces (empty once it is gone). */
export function cmdline(pid: number): string {
  try {
    return read(`/proc/${pid}/cmdline`).split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** A process's process group, or undefined once gone. */
export const pgid = (pid: number): number | undefined => procStat(pid)?.pgrp;
