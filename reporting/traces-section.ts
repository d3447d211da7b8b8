// The "Traces" section of report.html: the share of the run's processed records whose trace in Jaeger holds every
// span the description expects, the counts behind it, which spans were missing, and the first incomplete traces
// (each a link into Jaeger's UI, while the stack is up).
import { coverageLine, coverageReasons, MIN_TRACE_COVERAGE, type TraceCoverage } from "../observability/traces";
import { escapeAttribute } from "./escape";
import { badge, esc, html, missing, table } from "./markup";

export function tracesSection(t: TraceCoverage | undefined): string {
  const open = `<section id="traces"><h2>Traces (Jaeger)</h2>`;
  if (!t) return `${open}\n${missing("No Jaeger in this stack (cp3:observability.tracing off, observability off, or a Kubernetes stack), or the run stopped before its integrity check: trace coverage not measured.")}\n</section>`;
  const expected = `<p>${esc(`Each processed record's trace must hold: ${t.expected.map((s) => `${s.service}: ${s.name}`).join(", ") || "nothing named"}.`)}</p>`;
  if (t.skipped) return `${open}\n${missing(`Coverage not measured: ${t.skipped}.`)}\n</section>`;
  if (t.error) return `${open}\n${expected}\n${missing(t.error)}\n</section>`;
  const pct = t.coverage === undefined ? "n/a" : `${(t.coverage * 100).toFixed(2)} %`;
  const ok = coverageReasons(t).length === 0;
  const summary = `<p id="trace-coverage">${badge(ok, pct, pct).html} ${esc(`Trace ${coverageLine(t)}. Below ${MIN_TRACE_COVERAGE * 100} % the verdict fails; the goal is 100 %.`)}</p>`;
  const gaps = Object.keys(t.missingBySpan).length === 0
    ? ""
    : table("trace-gaps", ["Missing span", "Traces without it"], Object.entries(t.missingBySpan).map(([span, n]) => [span, n])) +
      (t.cutByStops > 0 ? `\n<p>${esc(`${t.cutByStops} of the ${t.checked - t.complete} incomplete traces lack only the spans of a process a fault stopped just after their last span: spans it held for export (every 50 ms) went with it.`)}</p>` : "");
  const listed = t.incomplete.length === 0
    ? ""
    : `<h3>Incomplete traces (the first ${t.incomplete.length})</h3>\n` +
      table("traces-incomplete", ["Key", "Trace", "Missing", "Cut by"], t.incomplete.map((i) => [i.key, html(`<a href="${escapeAttribute(`${t.queryUrl}/trace/${i.traceId}`)}">${esc(i.traceId)}</a>`), i.missing.join(", "), i.cutBy]));
  const failed = t.failedSpans > 0 ? `<p>${esc(`${t.failedSpans} span(s) in complete traces are marked failed (a publish retried, a delivery nak'd): each record still made it end to end.`)}</p>` : "";
  return `${open}\n${expected}\n${summary}\n${gaps}\n${failed}\n${listed}\n</section>`;
}
