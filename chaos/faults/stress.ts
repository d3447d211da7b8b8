// CPU and memory stress inside a target's cgroup: processes started with the engine's exec join the
// container's cgroups, so they compete for its own CPU and memory limits. Each carries the fault's tag in its
// command line and is wrapped in `timeout`, so it ends by itself even if this process dies; rollback kills
// the tagged processes (found through the cgroup's process list from the host) and verifies they are gone.
import * as docker from "../../lib/docker-api";
import { cmdline, cpuSeconds, memoryBytes, processes, throttling } from "../cgroup";
import { inspect, mib } from "../engine";
import { sleep } from "../sleep";
import { FaultSkipped, forEach, leftoversOf, num, type ActiveFault, type FaultContext } from "./fault";
import { short } from "./peer";

/** Host PIDs of our tagged processes in the container's cgroup (none when it is not running). */
async function tagged(name: string, tag: string): Promise<number[]> {
  const s = (await inspect(name)).State;
  if (!s.Running) return [];
  return processes(s.Pid).filter((p) => cmdline(p).includes(tag));
}

async function killTagged(name: string, tag: string): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const pids = await tagged(name, tag);
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

const common = (ctx: FaultContext) => ({
  async rollback() {
    await forEach(ctx.names, (n) => killTagged(n, ctx.tag));
    return undefined;
  },
  leftover: () =>
    leftoversOf(ctx.names, async (n) => {
      const left = await tagged(n, ctx.tag);
      return left.length > 0 ? `${left.length} stress processes (${ctx.tag}) still in ${n}` : undefined;
    }),
});

/** The bound every stress process gets from `timeout`: the fault's duration plus a margin for rollback. */
const lifetime = (ctx: FaultContext) => String(Math.ceil(ctx.spec.startAfterSeconds + ctx.spec.durationSeconds + 60));

export const cpuStress = (ctx: FaultContext): ActiveFault => {
  const workers = num(ctx.spec, "workers");
  return {
    async apply() {
      await forEach(ctx.names, async (n) => {
        for (let i = 0; i < workers; i++) await docker.execDetached(n, ["timeout", lifetime(ctx), "sh", "-c", "while :; do :; done", ctx.tag]);
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
          return `${short(n)}: ${used.toFixed(2)} CPUs used (limit ${limit}), throttled in ${share.toFixed(0)} % of periods, ${(await tagged(n, ctx.tag)).length} tagged processes`;
        }),
      );
      return seen.join("; ");
    },
    ...common(ctx),
  };
};

export const memoryStress = (ctx: FaultContext): ActiveFault => {
  const percent = num(ctx.spec, "percentOfLimit");
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
      });
    },
    async measure(budgetMs) {
      const seen = await Promise.all(
        ctx.names.map(async (n) => {
          const i = await inspect(n);
          const target = (i.HostConfig.Memory * percent) / 100;
          // Wait (bounded) for the holder to read its share in.
          const deadline = Date.now() + Math.min(5000, budgetMs / 2);
          while (Date.now() < deadline && memoryBytes(i.State.Pid) < target * 0.95 && !ctx.signal.aborted) await sleep(250, ctx.signal);
          const now = memoryBytes(i.State.Pid);
          return `${short(n)}: memory ${mib(before[n] ?? 0)} -> ${mib(now)} MiB of ${mib(i.HostConfig.Memory)} MiB limit (${((100 * now) / i.HostConfig.Memory).toFixed(0)} %)`;
        }),
      );
      return seen.join("; ");
    },
    ...common(ctx),
  };
};
