// The "Memory over time" section of report.html: a frame that charts.browser.js fills with one RSS line per
// container, and the table of the growth verdicts.
import type { MemoryReport } from "../load/memory";
import { escapeAttribute } from "./escape";
import { badge, esc, missing, table } from "./markup";

const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const pct = (share: number | undefined) => (share === undefined ? undefined : `${share > 0 ? "+" : ""}${(share * 100).toFixed(1)} %`);
const share = (n: number) => `${Number((n * 100).toFixed(1))} %`;

export function memorySection(memory: MemoryReport | undefined): string {
  const open = `<section id="memory"><h2>Memory over time</h2>`;
  if (!memory) return `${open}\n${missing("Memory was not sampled: only soak runs and campaigns sample it.")}\n</section>`;
  const title = `Resident memory (RSS) of each container in MiB; the dashed line ends the ${Number(memory.warmupSeconds.toFixed(1))} s warm-up`;
  const figure = [
    `<figure class="memory-chart" id="chart-memory">`,
    `<figcaption>${esc(title)}</figcaption>`,
    `<svg class="plot" viewBox="0 0 760 250" width="760" height="250" role="img" aria-label="${escapeAttribute(title)}"></svg>`,
    `</figure>`,
  ].join("\n");
  const intro = `<p>${esc(`After the warm-up, each service's RSS may grow by at most ${share(memory.maxGrowth)}: the median over the end of the run against the median just after the warm-up. A container that restarted is not judged.`)}</p>`;
  const rows = memory.growth.map((g) => [
    g.service,
    g.container,
    mib(g.afterWarmupBytes),
    mib(g.endBytes),
    pct(g.growth),
    g.judged ? "yes" : `no: ${g.reason ?? "no reason given"}`,
    g.judged ? badge(g.passed) : "not judged",
  ]);
  const results = rows.length === 0
    ? missing("No container's memory could be read during the run.")
    : table("memory-growth", ["Service", "Container", "After warm-up", "End", "Growth", "Judged", "Result"], rows);
  const noscript = `<noscript><p class="missing">The chart is drawn by a script in this page; enable JavaScript to see it.</p></noscript>`;
  return `${open}\n${intro}\n${figure}\n${noscript}\n${results}\n</section>`;
}
