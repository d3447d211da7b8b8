// Cost per record: what the run's processed records cost in CPU and memory, from the container exporter's
// series in Prometheus (each container's cgroup), over the same window as the panels (the start of the load to
// the end of the drain). CPU is CPU-seconds per 1,000 records. Memory is a level, not a flow, so it is given
// twice: the mean working set over the window, and memory-time per 1,000 records (MiB·s, the way functions are
// billed in GB-seconds): the mean times the window, shared out over the records.
import { MONITORING_COMPONENTS } from "../components/labels";
import type { PrometheusClient } from "../lib/prometheus-api";

/** The system under test (its services), the testbed around it (NATS, PostgreSQL, Toxiproxy), the monitoring. */
export type CostGroup = "system" | "testbed" | "monitoring";
export const COST_GROUPS: readonly CostGroup[] = ["system", "testbed", "monitoring"];
const TESTBED_COMPONENTS = ["nats", "postgres", "toxiproxy"];

export const costGroupOf = (component: string): CostGroup =>
  MONITORING_COMPONENTS.includes(component) ? "monitoring" : TESTBED_COMPONENTS.includes(component) ? "testbed" : "system";

export interface ComponentCost {
  component: string;
  group: CostGroup;
  cpuSeconds: number;
  meanMemoryMiB: number;
}

export interface GroupCost {
  group: CostGroup;
  cpuSeconds: number;
  meanMemoryMiB: number;
  /** Undefined when no record was processed. */
  cpuSecondsPer1000?: number;
  memoryMiBSecondsPer1000?: number;
}

/** report.cost */
export interface CostReport {
  windowSeconds: number;
  /** The records the load had acknowledged and the integrity check found processed. */
  records: number;
  components: ComponentCost[];
  groups: GroupCost[];
  /** Why nothing could be measured, if nothing could. */
  error?: string;
}

const round = (n: number, digits = 4) => Number(n.toPrecision(digits));

/** Shares out what the components used over the records; pure, so the arithmetic is tested on its own. */
export function costOf(o: { windowSeconds: number; records: number; cpuSeconds: Record<string, number>; meanMemoryBytes: Record<string, number> }): CostReport {
  // By part (the system first), then by name.
  const names = [...new Set([...Object.keys(o.cpuSeconds), ...Object.keys(o.meanMemoryBytes)])].sort((a, b) => COST_GROUPS.indexOf(costGroupOf(a)) - COST_GROUPS.indexOf(costGroupOf(b)) || a.localeCompare(b));
  const components = names.map((component): ComponentCost => ({ component, group: costGroupOf(component), cpuSeconds: round(o.cpuSeconds[component] ?? 0), meanMemoryMiB: round((o.meanMemoryBytes[component] ?? 0) / 1048576) }));
  const groups = COST_GROUPS.map((group): GroupCost => {
    const mine = names.filter((c) => costGroupOf(c) === group);
    const cpuSeconds = mine.reduce((s, c) => s + (o.cpuSeconds[c] ?? 0), 0);
    const memoryMiB = mine.reduce((s, c) => s + (o.meanMemoryBytes[c] ?? 0), 0) / 1048576;
    const per1000 = o.records > 0 ? 1000 / o.records : undefined;
    return {
      group, cpuSeconds: round(cpuSeconds), meanMemoryMiB: round(memoryMiB),
      ...(per1000 !== undefined ? { cpuSecondsPer1000: round(cpuSeconds * per1000), memoryMiBSecondsPer1000: round(memoryMiB * o.windowSeconds * per1000) } : {}),
    };
  });
  return { windowSeconds: round(o.windowSeconds), records: o.records, components, groups };
}

const byComponent = (samples: { labels: Record<string, string>; value: number }[]) =>
  Object.fromEntries(samples.filter((s) => Number.isFinite(s.value)).map((s) => [s.labels.component ?? "", s.value]));

/**
 * Reads each component's CPU-seconds (increase() counts across a restart's counter reset) and mean working set
 * over [fromMs, toMs] and shares them out over `records`. A failed query is recorded, never thrown.
 */
export async function measureCost(client: PrometheusClient, o: { fromMs: number; toMs: number; records: number }): Promise<CostReport> {
  const windowSeconds = Math.max(1, Math.round((o.toMs - o.fromMs) / 1000));
  const at = o.toMs / 1000;
  try {
    const [cpu, memory] = await Promise.all([
      client.query(`sum by (component) (increase(container_cpu_usage_seconds_total[${windowSeconds}s]))`, at),
      client.query(`sum by (component) (avg_over_time(container_memory_working_set_bytes[${windowSeconds}s]))`, at),
    ]);
    if (cpu.length === 0) return { ...costOf({ windowSeconds, records: o.records, cpuSeconds: {}, meanMemoryBytes: {} }), error: "Prometheus has no container_cpu_usage_seconds_total over the run: is the container exporter up?" };
    return costOf({ windowSeconds, records: o.records, cpuSeconds: byComponent(cpu), meanMemoryBytes: byComponent(memory) });
  } catch (err) {
    return { ...costOf({ windowSeconds, records: o.records, cpuSeconds: {}, meanMemoryBytes: {} }), error: `the container metrics could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** One line for the console and the report. */
export function costLine(c: CostReport): string {
  if (c.error) return `cost per record: not measured: ${c.error}`;
  const g = (name: CostGroup) => c.groups.find((x) => x.group === name)!;
  const part = (x: GroupCost) => `${x.group} ${x.cpuSecondsPer1000 ?? "n/a"} CPU-s and ${x.memoryMiBSecondsPer1000 ?? "n/a"} MiB·s (mean ${x.meanMemoryMiB} MiB)`;
  return `cost per 1,000 records (${c.records} processed over ${c.windowSeconds} s): ${COST_GROUPS.map((name) => part(g(name))).join("; ")}`;
}
