// The "Cost per record" section of report.html: CPU and memory per 1,000 processed records for the system under
// test, the testbed around it and the monitoring, then each component's share, all from the container metrics.
import { costLine, type CostReport } from "../observability/cost";
import { esc, missing, num, table } from "./markup";

const GROUP_NAMES = { system: "the system under test (its services)", testbed: "the testbed (NATS, PostgreSQL, Toxiproxy)", monitoring: "the monitoring (Prometheus, exporters, Alertmanager, Jaeger)" } as const;

export function costSection(c: CostReport | undefined): string {
  const open = `<section id="cost"><h2>Cost per record</h2>`;
  if (!c) return `${open}\n${missing("Not measured: it needs the monitoring (its container exporter) and an oracle that counts the processed records.")}\n</section>`;
  if (c.error) return `${open}\n${missing(costLine(c))}\n</section>`;
  const intro = `<p>${esc(`${c.records} records processed from the start of the load to the end of the drain (${num(c.windowSeconds)} s). CPU-seconds are what the containers' cgroups counted; memory is the mean working set (tmpfs included), and memory-time (MiB·s) is that mean over the window, shared out over the records.`)}</p>`;
  const groups = table("cost-groups", ["Part", "CPU-seconds", "CPU-s per 1,000 records", "Mean memory (MiB)", "MiB·s per 1,000 records"], c.groups.map((g) => [GROUP_NAMES[g.group], g.cpuSeconds, g.cpuSecondsPer1000, g.meanMemoryMiB, g.memoryMiBSecondsPer1000]));
  const components = table("cost-components", ["Component", "Part", "CPU-seconds", "Mean memory (MiB)"], c.components.map((x) => [x.component, x.group, x.cpuSeconds, x.meanMemoryMiB]));
  return `${open}\n${intro}\n${groups}\n<h3>By component</h3>\n${components}\n</section>`;
}
