// Container faults through the engine API: kill (SIGKILL), stop/start, restart, pause/unpause. Rollback makes
// sure every target runs again, unpaused; the restart policy (on-failure) is given the first chance.
import * as docker from "../../lib/docker-api";
import { cpuSeconds } from "../cgroup";
import { crash, diskUsage, inspect, mib, waitRunning } from "../engine";
import { sleep } from "../sleep";
import { FaultSkipped, forEach, leftoversOf, num, str, type ActiveFault, type FaultContext } from "./fault";
import { short } from "./peer";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Starts whatever is not running, unpauses whatever is paused; notes what it had to do. */
async function ensureRunning(ctx: FaultContext): Promise<string | undefined> {
  const notes: string[] = [];
  await forEach(ctx.names, async (name) => {
    let s = (await inspect(name)).State;
    if (s.Restarting) {
      // The restart policy is at work; give it a moment before stepping in.
      await waitRunning(name, 10_000);
      s = (await inspect(name)).State;
    }
    if (s.Paused) {
      await docker.unpauseContainer(name);
      notes.push(`unpaused ${name}`);
    }
    if (!s.Running) {
      await docker.startContainer(name);
      notes.push(`started ${name} (it was ${s.Status})`);
    }
    if ((await waitRunning(name, 30_000)) === undefined) throw new Error(`${name} is not running 30 s after rollback`);
  });
  return notes.length === 0 ? undefined : notes.join(", ");
}

/** Skips the fault when the mount named by the `durable` parameter is a tmpfs in any target (see parameters.ts). */
async function refuseTmpfsLoss(ctx: FaultContext): Promise<void> {
  const mount = str(ctx.spec, "durable");
  if (mount === undefined) return;
  for (const name of ctx.names) {
    const i = await inspect(name);
    const tmpfs = mount in (i.HostConfig.Tmpfs ?? {}) || i.Mounts.some((m) => m.Destination === mount && m.Type === "tmpfs");
    if (tmpfs) throw new FaultSkipped(`${mount} in ${name} is a tmpfs, which a restart empties (for PostgreSQL: no database at all afterwards); put it on a volume (cp3:postgres storage: volume) to run this fault`);
  }
}

async function notRunning(name: string): Promise<string | undefined> {
  const s = (await inspect(name)).State;
  if (s.Paused) return `${name} is paused`;
  if (!s.Running || s.Restarting) return `${name} is ${s.Status}`;
  return undefined;
}

/** Used MiB of each tmpfs mount, e.g. "/data 12.1 MiB" (best effort: the container may be down). */
async function tmpfsUsage(name: string): Promise<string> {
  const mounts = Object.keys((await inspect(name)).HostConfig.Tmpfs ?? {});
  if (mounts.length === 0) return "no tmpfs";
  try {
    // KiB below a MiB: a wiped JetStream store is a few KiB of stream files against none.
    return (await diskUsage(name, mounts)).map((d) => `${d.mount} ${d.usedBytes < 1048576 ? `${Math.round(d.usedBytes / 1024)} KiB` : `${mib(d.usedBytes)} MiB`}`).join(", ");
  } catch (err) {
    return `df failed: ${err instanceof Error ? err.message.slice(0, 80) : String(err)}`;
  }
}

/** SIGKILL: through the engine (a manual stop, left down) or to the init from the host (a crash, restarted). */
async function kill(name: string, via: string): Promise<void> {
  if (via === "engine") await docker.killContainer(name, "KILL");
  else await crash(name);
}

export const containerKill = (ctx: FaultContext): ActiveFault => {
  const before: Record<string, { pid: number; restarts: number; at: number }> = {};
  return {
    apply: async () => {
      await refuseTmpfsLoss(ctx);
      await forEach(ctx.names, async (n) => {
        const i = await inspect(n);
        before[n] = { pid: i.State.Pid, restarts: i.RestartCount, at: Date.now() };
        await kill(n, str(ctx.spec, "via") ?? "process");
      });
    },
    async measure(budgetMs) {
      const seen = await Promise.all(
        ctx.names.map(async (n) => {
          const b = before[n]!;
          // Running again means a new init process (the old PID gone), not the old one still dying.
          let back: number | undefined;
          while (Date.now() - b.at < budgetMs && !ctx.signal.aborted) {
            const s = (await inspect(n)).State;
            if (s.Running && !s.Restarting && s.Pid !== b.pid) {
              back = Date.now() - b.at;
              break;
            }
            await sleep(100, ctx.signal);
          }
          const i = await inspect(n);
          const by = i.RestartCount > b.restarts ? `the restart policy (restart count ${b.restarts} -> ${i.RestartCount})` : "nothing yet";
          return `${short(n)}: SIGKILL to pid ${b.pid}; ${back === undefined ? `not running again within ${seconds(budgetMs)} (${i.State.Status})` : `running again after ${seconds(back)}, restarted by ${by}`}`;
        }),
      );
      return seen.join("; ");
    },
    rollback: () => ensureRunning(ctx),
    leftover: () => leftoversOf(ctx.names, notRunning),
  };
};

export const containerStop = (ctx: FaultContext): ActiveFault => {
  const grace = num(ctx.spec, "graceSeconds");
  const took: Record<string, number> = {};
  return {
    apply: async () => {
      await refuseTmpfsLoss(ctx);
      await forEach(ctx.names, async (n) => {
        const t0 = Date.now();
        await docker.stopContainer(n, grace);
        took[n] = Date.now() - t0;
      });
    },
    async measure() {
      const seen = await Promise.all(ctx.names.map(async (n) => `${short(n)}: ${(await inspect(n)).State.Status} (stop took ${seconds(took[n] ?? 0)})`));
      return seen.join("; ");
    },
    rollback: () => ensureRunning(ctx),
    leftover: () => leftoversOf(ctx.names, notRunning),
  };
};

export const containerRestart = (ctx: FaultContext): ActiveFault => {
  const grace = num(ctx.spec, "graceSeconds");
  const before: Record<string, string> = {};
  const took: Record<string, number> = {};
  return {
    apply: async () => {
      await refuseTmpfsLoss(ctx);
      await forEach(ctx.names, async (n) => {
        before[n] = await tmpfsUsage(n);
        const t0 = Date.now();
        await docker.restartContainer(n, grace);
        took[n] = Date.now() - t0;
      });
    },
    async measure(budgetMs) {
      const seen = await Promise.all(
        ctx.names.map(async (n) => {
          const back = await waitRunning(n, budgetMs, ctx.signal);
          const after = back === undefined ? "not running" : await tmpfsUsage(n);
          return `${short(n)}: restarted in ${seconds(took[n] ?? 0)}; tmpfs before ${before[n] ?? "?"}, after ${after}`;
        }),
      );
      return seen.join("; ");
    },
    rollback: () => ensureRunning(ctx),
    leftover: () => leftoversOf(ctx.names, notRunning),
  };
};

export const containerPause = (ctx: FaultContext): ActiveFault => ({
  apply: () => forEach(ctx.names, (n) => docker.pauseContainer(n).then(() => undefined)),
  async measure() {
    const seen = await Promise.all(
      ctx.names.map(async (n) => {
        const i = await inspect(n);
        // A frozen cgroup uses no CPU at all: measured over one second.
        const c0 = cpuSeconds(i.State.Pid);
        await sleep(1000, ctx.signal);
        const used = cpuSeconds(i.State.Pid) - c0;
        return `${short(n)}: State.Paused=${i.State.Paused}, ${used.toFixed(3)} CPU s used in 1 s`;
      }),
    );
    return seen.join("; ");
  },
  rollback: () => ensureRunning(ctx),
  leftover: () => leftoversOf(ctx.names, notRunning),
});
