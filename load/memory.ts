// Memory over time: samples each running container's RSS from its cgroup during a soak, and judges whether a
// service's memory grew after the warm-up by more than the allowed share.
import { memoryRssBytes } from "../chaos/cgroup";
import { containersWithLabels, inspectContainer } from "../lib/docker-api";
import { MONITORING_COMPONENTS } from "../components/labels";

export interface MemorySample {
  /** Seconds since the load started. */
  t: number;
  rssBytes: number;
  /** The container's init process on the host at this sample: a change means the container restarted. */
  pid: number;
}

export interface ContainerMemory {
  container: string;
  /** The container's cp3.component label, else its name. */
  service: string;
  samples: MemorySample[];
}

export interface RssGrowth {
  service: string;
  container: string;
  judged: boolean;
  reason?: string;
  afterWarmupBytes?: number;
  endBytes?: number;
  growth?: number;
  passed: boolean;
}

/** Samples kept per container: a 24 h soak at one sample per 5 s would otherwise hold 17,280. */
/** What report.json carries about memory: the series, the verdict per container and the rule's figures. */
export interface MemoryReport {
  series: ContainerMemory[];
  growth: RssGrowth[];
  maxGrowth: number;
  warmupSeconds: number;
}

export const MAX_SAMPLES = 2000;

/** While over `max`, drops every other sample; the first and the last always stay, so the series still spans the run. */
export function capSamples<T>(samples: T[], max: number): T[] {
  let out = samples;
  const limit = Math.max(2, max);
  while (out.length > limit) {
    const last = out[out.length - 1]!;
    const kept = out.filter((_, i) => i % 2 === 0);
    if ((out.length - 1) % 2 === 1) kept.push(last);
    out = kept;
  }
  return out;
}

/**
 * Samples every `intervalMs` (first at once) until stop(). `clock` gives seconds since the load started. Ticks run
 * one after another (the next is scheduled when one ends), and no error leaves a tick: a container that goes away
 * between the listing and the read is skipped for that sample.
 */
export function startMemoryWatch(o: { stack: string; clock: () => number; intervalMs?: number }): { stop(): Promise<ContainerMemory[]> } {
  const intervalMs = o.intervalMs ?? 5000;
  const byName = new Map<string, ContainerMemory>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const sampleOne = async (id: string, name: string, service: string) => {
    try {
      const pid = (await inspectContainer(id)).State.Pid;
      if (!(pid > 0)) return;
      const rssBytes = memoryRssBytes(pid);
      const t = o.clock();
      let series = byName.get(name);
      if (!series) byName.set(name, (series = { container: name, service, samples: [] }));
      series.samples.push({ t, rssBytes, pid });
      if (series.samples.length > MAX_SAMPLES) series.samples = capSamples(series.samples, MAX_SAMPLES);
    } catch {
      // Gone or stopped since the listing: no sample this time.
    }
  };

  const tick = async () => {
    try {
      const running = (await containersWithLabels({ "cp3.stack": o.stack })).filter((c) => c.State === "running");
      await Promise.all(running.map((c) => {
        const name = (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, "");
        return sampleOne(c.Id, name, c.Labels["cp3.component"] || name);
      }));
    } catch {
      // The engine did not answer this time; the next tick tries again.
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  inFlight = tick().finally(schedule);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      return [...byName.values()].sort((a, b) => a.container.localeCompare(b.container));
    },
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const secs = (n: number) => `${Number(n.toFixed(1))} s`;

/**
 * Per container: the median RSS of the `windowSeconds` after the warm-up against the median of the last
 * `windowSeconds` of the series. Containers it cannot judge fairly pass, with the reason.
 */
export function judgeRssGrowth(series: ContainerMemory[], o: { warmupSeconds: number; maxGrowth: number; windowSeconds?: number }): RssGrowth[] {
  const win = o.windowSeconds ?? 60;
  const w = o.warmupSeconds;
  return series.map((s) => {
    const who = { service: s.service, container: s.container };
    const skip = (reason: string): RssGrowth => ({ ...who, judged: false, reason, passed: true });
    // Prometheus's head block grows for hours by design; the monitoring is the testbed's, not the system's.
    if (MONITORING_COMPONENTS.includes(s.service)) return skip("the testbed's monitoring, not the system under test (Prometheus keeps recent samples in memory by design)");
    const samples = [...s.samples].sort((a, b) => a.t - b.t);
    if (samples.length === 0) return skip("no memory samples were taken of this container");
    const lastT = samples[samples.length - 1]!.t;
    const endFrom = lastT - win;
    if (endFrom < w + win) {
      return skip(`the run was too short to judge memory growth: it needs at least ${secs(w + 2 * win)} (the ${secs(w)} warm-up and two ${secs(win)} windows), the samples end at ${secs(lastT)}`);
    }
    const afterWarmup = samples.filter((x) => x.t >= w);
    const restart = afterWarmup.find((x) => x.pid !== afterWarmup[0]!.pid);
    if (restart) {
      return skip(`the container restarted after the warm-up (at about ${secs(restart.t)}), so its memory started again from zero and growth cannot be measured`);
    }
    const base = samples.filter((x) => x.t >= w && x.t < w + win);
    const end = samples.filter((x) => x.t > endFrom);
    if (base.length < 3) return skip(`only ${base.length} memory sample(s) in the ${secs(win)} after the warm-up (${secs(w)} to ${secs(w + win)}); at least 3 are needed`);
    if (end.length < 3) return skip(`only ${end.length} memory sample(s) in the last ${secs(win)} of the run; at least 3 are needed`);
    const afterWarmupBytes = median(base.map((x) => x.rssBytes));
    const endBytes = median(end.map((x) => x.rssBytes));
    if (!(afterWarmupBytes > 0)) return skip("its memory read as zero after the warm-up, so growth cannot be measured");
    const growth = endBytes / afterWarmupBytes - 1;
    // The tolerance keeps exactly the allowed share (110/100 - 1 is 0.10000000000000009) a pass.
    return { ...who, judged: true, afterWarmupBytes, endBytes, growth, passed: growth <= o.maxGrowth + 1e-9 };
  });
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** One verdict line per container whose memory grew too much. */
export function rssGrowthReasons(results: RssGrowth[], maxGrowth: number): string[] {
  return results
    .filter((r) => r.judged && !r.passed)
    .map((r) => `memory: ${r.service} (container ${r.container}) RSS grew ${((r.growth ?? 0) * 100).toFixed(1)} % after the warm-up (${mib(r.afterWarmupBytes ?? 0)} -> ${mib(r.endBytes ?? 0)}), allowed ${Number((maxGrowth * 100).toFixed(1))} %`);
}
