// Where the CPU goes during a benchmark step: each of the stack's containers (its cgroup's cpuacct counter,
// and how long the engine throttled it at its CPU limit), the host processes that carry the load for it
// (dockerd and containerd with their shims for logs, docker-proxy for a published port, the load generator),
// and the whole machine, so what other work took shows as the remainder. Read from /sys/fs/cgroup and /proc,
// cgroup v1 as on this machine; anything unreadable is left out rather than guessed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as docker from "../lib/docker-api";

const TICK_NS = 1e9 / 100; // USER_HZ: /proc's utime and stime are in 1/100 s on Linux

export interface CpuSnapshot {
  atNs: bigint;
  /** Container (short name) -> CPU ns used, and ns throttled at its limit. */
  containers: Map<string, { usageNs: number; throttledNs: number }>;
  /** Host process group (dockerd, loadgen, ...) -> CPU ns. */
  host: Map<string, number>;
  /** The whole machine: busy ns (everything but idle and iowait), and of it what ran at a lower priority. */
  machineBusyNs: number;
  machineNiceNs: number;
}

export interface CpuSplit {
  seconds: number;
  /**
   * % of one core, by container and host process group; "nice" is what ran at a lower priority (it yields to
   * the stack), "other" the rest of the machine's remainder: other work competing on equal terms.
   */
  percent: Record<string, number>;
  /** ms of throttling per second, by container (CFS quota at its `cpus` limit). */
  throttledMsPerSec: Record<string, number>;
  machinePercent: number;
}

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

function containerCpu(id: string): { usageNs: number; throttledNs: number } | undefined {
  const usage = read(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`);
  if (usage === undefined) return undefined;
  const stat = read(`/sys/fs/cgroup/cpu/docker/${id}/cpu.stat`) ?? "";
  const throttled = /^throttled_time (\d+)$/m.exec(stat);
  return { usageNs: Number(usage.trim()), throttledNs: Number(throttled?.[1] ?? 0) };
}

/** utime + stime of a process, in ns; undefined once it is gone. */
function processCpuNs(pid: string): { ns: number; ppid: number } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ns: (Number(f[11]) + Number(f[12])) * TICK_NS, ppid: Number(f[1]) };
}

function machine(): { busyNs: number; niceNs: number } {
  const f = (read("/proc/stat") ?? "").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busyNs: (total - f[3]! - f[4]!) * TICK_NS, niceNs: f[1]! * TICK_NS };
}

/**
 * Host processes that work for this stack: dockerd and containerd (all of them: they are shared, and carry
 * every container's log lines), the shims of this stack's containers, docker-proxy for `hostPorts`, and loadgen
 * when it is a child of this process.
 */
function hostProcesses(containerIds: Set<string>, hostPorts: Set<string>): Map<string, number> {
  const out = new Map<string, number>();
  const add = (group: string, ns: number) => out.set(group, (out.get(group) ?? 0) + ns);
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    const comm = read(`/proc/${pid}/comm`)?.trim();
    if (comm === undefined) continue;
    let group: string | undefined;
    if (comm === "dockerd" || comm === "containerd") group = comm;
    else if (comm.startsWith("containerd-shim") || comm === "docker-proxy") {
      const args = (read(`/proc/${pid}/cmdline`) ?? "").split("\0");
      if (comm === "docker-proxy") group = hostPorts.has(args[args.indexOf("-host-port") + 1] ?? "") ? "docker-proxy" : undefined;
      else group = containerIds.has(args[args.indexOf("-id") + 1] ?? "") ? "containerd-shim" : undefined;
    }
    const cpu = comm === "loadgen" || group !== undefined ? processCpuNs(pid) : undefined;
    if (!cpu) continue;
    if (comm === "loadgen" && cpu.ppid === process.pid) group = "loadgen";
    if (group !== undefined) add(group, cpu.ns);
  }
  return out;
}

export async function snapshot(stack: string, hostPorts: string[] = []): Promise<CpuSnapshot> {
  const list = await docker.containersWithLabels({ "cp3.stack": stack });
  const containers = new Map<string, { usageNs: number; throttledNs: number }>();
  for (const c of list) {
    const cpu = containerCpu(c.Id);
    // cp3-<stack>-postgres -> postgres
    if (cpu) containers.set(c.Names[0]!.replace(/^\/?cp3-/, "").slice(stack.length + 1), cpu);
  }
  const m = machine();
  return { atNs: process.hrtime.bigint(), containers, host: hostProcesses(new Set(list.map((c) => c.Id)), new Set(hostPorts)), machineBusyNs: m.busyNs, machineNiceNs: m.niceNs };
}

export function split(a: CpuSnapshot, b: CpuSnapshot): CpuSplit {
  const wallNs = Number(b.atNs - a.atNs);
  const pct = (ns: number) => Math.round((ns / wallNs) * 1000) / 10;
  const percent: Record<string, number> = {};
  const throttledMsPerSec: Record<string, number> = {};
  let ours = 0;
  for (const [name, end] of b.containers) {
    const start = a.containers.get(name);
    if (!start) continue;
    percent[name] = pct(end.usageNs - start.usageNs);
    throttledMsPerSec[name] = Math.round(((end.throttledNs - start.throttledNs) / wallNs) * 1000);
    ours += end.usageNs - start.usageNs;
  }
  for (const [group, end] of b.host) {
    const start = a.host.get(group) ?? 0;
    percent[group] = pct(end - start);
    ours += end - start;
  }
  const busy = b.machineBusyNs - a.machineBusyNs;
  const nice = b.machineNiceNs - a.machineNiceNs;
  percent.nice = pct(nice);
  percent.other = pct(Math.max(0, busy - nice - ours));
  return { seconds: wallNs / 1e9, percent, throttledMsPerSec, machinePercent: pct(busy) };
}

export function formatSplit(s: CpuSplit): string {
  const parts = Object.entries(s.percent)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(0)}${(s.throttledMsPerSec[k] ?? 0) > 0 ? ` (throttled ${s.throttledMsPerSec[k]} ms/s)` : ""}`);
  return `CPU % of one core (machine ${s.machinePercent.toFixed(0)} of ${os.cpus().length * 100}): ${parts.join(", ")}`;
}

/**
 * Runs `step` (lasting about `seconds`) and measures the CPU split over its middle: from 2 s after the start
 * to 1 s before the end, so the load generator is running at both ends (a process that came and went in
 * between would be missed) and start-up and shutdown costs stay out.
 */
export async function during<T>(stack: string, hostPorts: string[], seconds: number, step: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit | undefined }> {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const running = step();
  let cpu: CpuSplit | undefined;
  const measured = (async () => {
    if (seconds < 5) return;
    await wait(2000);
    const a = await snapshot(stack, hostPorts);
    await wait((seconds - 3) * 1000);
    cpu = split(a, await snapshot(stack, hostPorts));
  })();
  const result = await running;
  await measured.catch(() => undefined);
  return { result, cpu };
}
