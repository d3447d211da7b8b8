// report.html: one self-contained page (no network: styles, data and the chart script are all inline) that a
// reader opens from a CI artifact. Tables are rendered here; the charts are drawn in the page by
// charts.browser.js from the report JSON embedded below them.
import { CHARTS, chartFigure, chartScript } from "./charts";
import { escapeAttribute, jsonForScript } from "./escape";
import { badge, esc, html, missing, num, seconds, table, type Cell } from "./markup";
import { campaignSection } from "./campaign-section";
import { memorySection } from "./memory-section";
import { observabilitySection } from "./observability-section";
import { supplyChainSection } from "./supply-chain-section";
import { transportSection } from "./transport-section";
import { tracesSection } from "./traces-section";
import { costSection } from "./cost-section";
import type { ExperimentResult, IntegrityResult, LoadResult, ProbeResult, RunReport, ThresholdResult } from "./model";
import { STYLE } from "./style";

/** Rows of offending keys shown per table; the rest are counted, and all of them are in report.json. */
export const KEYS_IN_HTML = 200;

/** A table of at most KEYS_IN_HTML rows, with a note saying how many more report.json holds. */
function keyTable<T>(id: string, title: string, items: T[], headers: string[], row: (item: T) => Cell[]): string {
  if (items.length === 0) return "";
  const more = items.length > KEYS_IN_HTML ? `<p class="note">and ${items.length - KEYS_IN_HTML} more (all in report.json)</p>` : "";
  return `<h3>${esc(title)} (${items.length})</h3>\n${table(id, headers, items.slice(0, KEYS_IN_HTML).map(row))}\n${more}`;
}

function verdictSection(r: RunReport): string {
  const reasons = r.reasons.length > 0 ? `<ul id="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : `<p id="reasons">Every check passed.</p>`;
  return `<section class="verdict verdict-${escapeAttribute(r.verdict)}" id="verdict">
<h2>Verdict: <span id="verdict-value">${esc(r.verdict)}</span></h2>
${reasons}
</section>`;
}

function runSection(r: RunReport): string {
  const facts: [string, string][] = [
    ["Run id", r.runId], ["System", r.system ?? "reference"], ["Stack", r.stack], ["Seed", String(r.seed)], ["Profile", r.profile],
    ["Started", r.startedAt], ["Finished", r.finishedAt], ["Wall time", seconds(r.wallSeconds)],
  ];
  return `<section id="run"><h2>Run</h2>
<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
<h3>Steps</h3>
${table("steps", ["Step", "Duration", "Result"], r.steps.map((s) => [s.name, seconds(s.seconds), badge(s.ok, "ok", "failed")]))}
</section>`;
}

function loadSection(load: LoadResult | undefined): string {
  const charts = CHARTS.map(chartFigure).join("\n");
  const noscript = `<noscript><p class="missing">The charts are drawn by a script in this page; enable JavaScript to see them.</p></noscript>`;
  if (!load) return `<section id="load"><h2>Load</h2>\n${missing("The load step did not run.")}\n${charts}\n${noscript}</section>`;
  const l = load.latencyMs;
  const engine = `${load.engine.name} ${load.engine.version}${load.script ? ` (${load.script})` : ""}`;
  const lag = load.lagMs ? `${num(load.lagMs.p50)} / ${num(load.lagMs.p99)} / ${num(load.lagMs.max)} ms` : "not measured by this engine";
  return `<section id="load"><h2>Load</h2>
${table("load-summary", ["Profile", "Engine", "Duration", "Engine exit", "Requests", "Acknowledged", "4xx", "5xx", "Timeouts", "Achieved rate", "Latency p50 / p95 / p99 / max"], [[
    load.profile, engine, seconds(load.durationSeconds), `${load.engineExitCode} (${load.engineOutcome})`, load.requests, load.acknowledged,
    load.rejected4xx, load.failed5xx, load.timeouts, `${num(load.achievedRps)} req/s`, `${num(l.p50)} / ${num(l.p95)} / ${num(l.p99)} / ${num(l.max)} ms`,
  ]])}
<h3>Schedule kept</h3>
<p>Requests started in each stage of the plan against those it scheduled; start lag behind the schedule p50 / p99 / max: ${esc(lag)}.</p>
${table("schedule-kept", ["Stage", "Window", "Kind", "Target rate", "Planned", "Sent", "Deviation"], load.scheduleKept.map((s, i) => [
    i + 1, `${num(s.from)}–${num(s.to)} s`, s.kind, `${num(s.targetRps)} req/s`, s.planned, s.sent, `${s.deviationPct > 0 ? "+" : ""}${num(s.deviationPct)} %`,
  ]))}
${charts}
${noscript}
</section>`;
}

function scheduleSection(r: RunReport): string {
  const body = r.schedule.length === 0 ? missing("No experiment was scheduled.") : table("schedule", ["Experiment", "Starts at", "Lane"], r.schedule.map((s) => [s.experiment, seconds(s.startAt), s.lane ?? "main"]));
  return `<section id="schedule"><h2>Chaos schedule</h2>\n${body}\n</section>`;
}

function probeRows(when: string, probes: ProbeResult[]): Cell[][] {
  return probes.map((p) => [when, p.name, p.observed, p.tolerance, badge(p.passed)]);
}

function experimentBlock(e: ExperimentResult, index: number): string {
  const faults = table(`faults-${index}`, ["Fault", "Targets", "Parameters", "Window", "Status", "Effect", "Removed"], e.faults.map((f) => [
    f.kind, f.targets.join(", "), Object.entries(f.parameters).map(([k, v]) => `${k}=${v}`).join(", "), `${num(f.startedAt)}–${num(f.endedAt)} s`, f.status, f.effect,
    f.removed ? badge(true, "removed") : html(`<span class="badge bad">left behind</span> ${esc(f.leftover ?? "")}`),
  ]));
  const probes = [...probeRows("before", e.steadyStateBefore), ...probeRows("after", e.steadyStateAfter)];
  const recovery = e.recoverySeconds === undefined ? "never recovered" : seconds(e.recoverySeconds);
  return `<article class="experiment status-${escapeAttribute(e.status)}" id="experiment-${index}">
<h3>${esc(e.name)} <span class="status">${esc(e.status)}</span></h3>
<p>${esc(e.description)}</p>
${e.reason ? `<p class="reason">${esc(e.reason)}</p>` : ""}
<p>Window ${num(e.startedAt)}–${num(e.endedAt)} s; recovery: ${esc(recovery)}</p>
${e.faults.length > 0 ? faults : missing("No fault was recorded.")}
${probes.length > 0 ? table(`probes-${index}`, ["When", "Steady-state probe", "Observed", "Tolerance", "Result"], probes) : missing("No steady-state probe was recorded.")}
</article>`;
}

function experimentsSection(r: RunReport): string {
  const body = r.experiments.length === 0 ? missing("No experiment ran.") : r.experiments.map(experimentBlock).join("\n");
  return `<section id="experiments"><h2>Experiments</h2>\n${body}\n</section>`;
}

function integritySection(i: IntegrityResult | undefined): string {
  if (!i) return `<section id="integrity"><h2>Integrity</h2>\n${missing("The integrity check did not run.")}\n</section>`;
  const lostWhen = (w: string) => i.lost.filter((l) => l.when === w).length;
  const appeared = i.unknown.filter((u) => u.appeared).length;
  const summary = table("integrity-summary", ["Measure", "Count", "Detail"], [
    ["attempted", i.attempted, undefined],
    ["acknowledged", i.acknowledged, undefined],
    ["processed", i.processed, undefined],
    ["lost (acknowledged, never processed)", i.lost.length,
      `acknowledged before the first read ${lostWhen("before-first-read")}, between reads ${lostWhen("between-reads")}, after the last read ${lostWhen("after-last-read")}; seen then gone ${i.lost.filter((l) => l.seenThenGone).length}`],
    ["duplicates (more than one effect)", i.duplicates.length, undefined],
    ["unexpected (processed, never attempted)", i.unexpected.length, undefined],
    ["unknown (timeout or 5xx)", i.unknown.length, `appeared ${appeared}, did not appear ${i.unknown.length - appeared}`],
    ["dead-lettered", i.dead, undefined],
    ["reads", i.reads, undefined],
  ]);
  return `<section id="integrity"><h2>Integrity ${badge(i.passed).html}</h2>
${summary}
${keyTable("lost-keys", "Lost keys", i.lost, ["Key", "Acknowledged at", "When", "Seen then gone"], (l) => [l.key, seconds(l.acknowledgedAt), l.when, l.seenThenGone ? "yes" : "no"])}
${keyTable("duplicate-keys", "Duplicate keys", i.duplicates, ["Key", "Effects"], (d) => [d.key, d.effects])}
${keyTable("unexpected-keys", "Unexpected keys", i.unexpected, ["Key"], (k) => [k])}
${keyTable("unknown-keys", "Unknown keys", i.unknown, ["Key", "Outcome", "Appeared"], (u) => [u.key, u.outcome, u.appeared ? "yes" : "no"])}
</section>`;
}

function thresholdRows(list: ThresholdResult[]): Cell[][] {
  return list.map((t) => [t.name, t.condition, t.detail ?? (t.observed === undefined ? undefined : String(t.observed)), badge(t.passed)]);
}

function thresholdsSection(load: LoadResult | undefined): string {
  let body: string;
  if (!load) body = missing("The load step did not run, so no SLO gate was checked.");
  else if (load.thresholds.length === 0) body = missing("No SLO gate was evaluated.");
  else body = table("thresholds", ["Measure", "Gate", "Observed", "Result"], thresholdRows(load.thresholds));
  const k6 = load?.engineThresholds
    ? `<h3>k6's own thresholds (shown beside; the gates above decide)</h3>\n${load.engineThresholds.length === 0 ? missing("k6 reported no thresholds.") : table("engine-thresholds", ["Metric", "Condition", "Observed", "Result"], thresholdRows(load.engineThresholds))}`
    : "";
  return `<section id="thresholds"><h2>SLO gates (from the ledger)</h2>\n${body}\n${k6}\n</section>`;
}

function versionsSection(r: RunReport): string {
  return `<section id="versions"><h2>Tool versions</h2>\n${table("versions-table", ["Tool", "Version"], Object.entries(r.versions).map(([k, v]) => [k, v]))}\n</section>`;
}

export function renderHtml(report: RunReport): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CP3 report ${esc(report.stack)} ${esc(report.runId)}: ${esc(report.verdict)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>CP3 run report</h1>
${verdictSection(report)}
${runSection(report)}
${loadSection(report.load)}
${observabilitySection(report.observability)}
${tracesSection(report.traces)}
${costSection(report.cost)}
${campaignSection(report.campaign)}
${memorySection(report.memory)}
${scheduleSection(report)}
${experimentsSection(report)}
${integritySection(report.integrity)}
${thresholdsSection(report.load)}
${supplyChainSection(report.supplyChain)}
${transportSection(report.transport)}
${versionsSection(report)}
<footer>Rendered from report.json, which holds every figure on this page.</footer>
<script type="application/json" id="cp3-report">${jsonForScript(report)}</script>
<script>
${chartScript()}
</script>
</body>
</html>
`;
}
