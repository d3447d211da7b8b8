// CPU and memory stress inside a target's cgroup: processes started with the engine's exec join the
// container's cgroups, so they compete for its own CPU and memory limits. Each carries the fault's tag in its
// command line and is wrapped in `timeout`, so it ends by itself even if this process dies; rollback kills
// the tagged processes and their process groups (found through the cgroup's process list from the host) and
// verifies they are gone.
import * as docker from "../../lib/docker-api";
import { poll } from "../../lib/poll";
import { cmdline, cpuSeconds, memoryBytes, pgid, processes, throttling } from "../cgroup";
import { inspect, mib } from "../engine";
import { sleep } from "../sleep";
import { FaultSkipped, forEach, leftoversOf, num, type ActiveFault, type FaultContext } from "./fault";
import { short } from "./peer";

/**
 * Our processes in the container's cgroup: those with the tag in their command line, and every process in
 * their process groups. `timeout` makes itself a group leader, so the whole pipeline it runs (head, tail,
 * sleep, whose command lines do not carry the tag) is one group; `groups` remembers the groups seen, so a
 * process whose tagged parent is already gone is still recognised.
 */
async function ours(name: string, tag: string, groups: Set<number>): Promise<number[]> {
  const s = (await inspect(name)).State;
  if (!s.Running) return [];
  const all = processes(s.Pid);
  for (const p of all) {
    const g = pgid(p);
    if (g !== undefined && cmdline(p).includes(tag)) groups.add(g);
  }
  return all.filter((p) => {
    const g = pgid(p);
    return g !== undefined && groups.has(g);
  });
}

/** Notes the process groups of what was just started (the exec is detached, so give it a moment to appear). */
async function rememberGroups(name: string, tag: string, groups: Set<number>): Promise<void> {
  for (let i = 0; i < 10 && (await ours(name, tag, groups)).length === 0; i++) await sleep(100);
}

async function killOurs(name: string, tag: string, groups: Set<number>): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const pids = await ours(name, tag, groups);
    if (pids.length === 0) return;
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(200);
  }
}

const common = (ctx: FaultContext, groups: Set<number>) => ({
  async rollback() {
    await forEach(ctx.names, (n) => killOurs(n, ctx.tag, groups));
    return undefined;
  },
  leftover: () =>
    leftoversOf(ctx.names, async (n) => {
      const left = await ours(n, ctx.tag, groups);
      return left.length > 0 ? `${left.length} stress processes (${ctx.tag} and their process groups) still in ${n}: ${left.map((p) => cmdline(p) || p).join(", ")}` : undefined;
    }),
});

/** The bound every stress process gets from `timeout`: the fault's duration plus a margin for rollback. */
const lifetime = (ctx: FaultContext) => String(Math.ceil(ctx.spec.startAfterSeconds + ctx.spec.durationSeconds + 60));

export const cpuStress = (ctx: FaultContext): ActiveFault => {
  const workers = num(ctx.spec, "workers");
  const groups = new Set<number>();
  const remember = (n: string) => rememberGroups(n, ctx.tag, groups);
  return {
    async apply() {
      await forEach(ctx.names, async (n) => {
        for (let i = 0; i < workers; i++) await docker.execDetached(n, ["timeout", lifetime(ctx), "sh", "-c", "while :; do :; done", ctx.tag]);
        await remember(n);
      });
    },
    async measure(budgetMs) {
      await sleep(500, ctx.signal);
      const window = Math.max(1000, Math.min(5000, budgetMs - 1500));
      const seen = await Promise.all(
        ctx.names.map(async (n) => {
          const i = await inspect(n);
          const c0 = cpuSeconds(i.State.Pid);
          const t0 = throttling(i.State.Pid);
          await sleep(window, ctx.signal);
          const used = (cpuSeconds(i.State.Pid) - c0) / (window / 1000);
          const t1 = throttling(i.State.Pid);
          const periods = t1.periods - t0.periods;
          const share = periods === 0 ? 0 : (100 * (t1.throttled - t0.throttled)) / periods;
          const limit = i.HostConfig.NanoCpus > 0 ? (i.HostConfig.NanoCpus / 1e9).toFixed(2) : "none";
          return `${short(n)}: ${used.toFixed(2)} CPUs used (limit ${limit}), throttled in ${share.toFixed(0)} % of periods, ${(await ours(n, ctx.tag, groups)).length} stress processes`;
        }),
      );
      return seen.join("; ");
    },
    ...common(ctx, groups),
  };
};

export const memoryStress = (ctx: FaultContext): ActiveFault => {
  const percent = num(ctx.spec, "percentOfLimit");
  const groups = new Set<number>();
  const remember = (n: string) => rememberGroups(n, ctx.tag, groups);
  const before: Record<string, number> = {};
  return {
    async apply() {
      await forEach(ctx.names, async (n) => {
        const i = await inspect(n);
        const limit = i.HostConfig.Memory;
        if (limit <= 0) throw new FaultSkipped(`${n} has no memory limit, so there is no share of it to fill`);
        before[n] = memoryBytes(i.State.Pid);
        const bytes = Math.floor((limit * percent) / 100 - before[n]);
        if (bytes <= 0) return;
        // tail keeps its whole input when it holds no newline; the sleep keeps the pipe, and so the memory, open.
        const hold = `{ head -c ${bytes} /dev/zero; exec sleep ${lifetime(ctx)}; } | tail`;
        await docker.execDetached(n, ["timeout", lifetime(ctx), "sh", "-c", hold, ctx.tag]);
        await remember(n);
      });
    },
    async measure(budgetMs) {
      const seen = await Promise.all(
        ctx.names.map(async (n) => {
          const i = await inspect(n);
          const target = (i.HostConfig.Memory * percent) / 100;
          // Wait (bounded) for the holder to read its share in.
          await poll(async () => (memoryBytes(i.State.Pid) >= target * 0.95 ? true : undefined), { timeoutMs: Math.min(5000, budgetMs / 2), intervalMs: 250, signal: ctx.signal, what: `${n}'s memory at 95 % of the target` });
          const now = memoryBytes(i.State.Pid);
          return `${short(n)}: memory ${mib(before[n] ?? 0)} -> ${mib(now)} MiB of ${mib(i.HostConfig.Memory)} MiB limit (${((100 * now) / i.HostConfig.Memory).toFixed(0)} %)`;
        }),
      );
      return seen.join("; ");
    },
    ...common(ctx, groups),
  };
};
