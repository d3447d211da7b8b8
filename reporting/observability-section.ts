// The "Observability" section of report.html: what the stack's Prometheus saw over the load and the drain, one
// chart per panel (charts.browser.js draws them from report.observability, fault windows shaded), grouped by
// service, JetStream, PostgreSQL and the system's own panels, and the targets after the run.
import type { ObservabilityReport } from "../observability/collect";
import { escapeAttribute } from "./escape";
import { describeAlert } from "../observability/alerts";
import { groupTitle } from "../observability/panels";
import { badge, esc, html, missing, num, seconds, table } from "./markup";


export function observabilitySection(o: ObservabilityReport | undefined): string {
  const open = `<section id="observability"><h2>Observability (Prometheus)</h2>`;
  if (!o) return `${open}\n${missing("No Prometheus in this stack (cp3:observability.enabled off, or a Kubernetes stack): no RED panels.")}\n</section>`;
  const withData = o.panels.filter((p) => p.series.length > 0).length;
  const intro = `<p id="observability-summary">${esc(`${withData} of ${o.panels.length} panels with data; rate window ${o.rateWindow}, a point every ${o.stepSeconds} s, from the start of the load to the end of the drain. Targets up after the run: ${o.targets.up} of ${o.targets.total}${o.targets.down.length > 0 ? ` (not up: ${o.targets.down.join(", ")})` : ""}.`)}</p>`;
  const groups = [...new Set(o.panels.map((p) => p.group))];
  const body = groups.map((group) => {
    const figures = o.panels.map((p, i) => ({ p, i })).filter(({ p }) => p.group === group).map(({ p, i }) => [
      `<figure class="panel-chart" id="panel-${escapeAttribute(p.id)}" data-panel="${i}">`,
      `<figcaption>${esc(p.title)}</figcaption>`,
      `<svg class="plot" viewBox="0 0 760 250" width="760" height="250" role="img" aria-label="${escapeAttribute(p.title)}"></svg>`,
      `</figure>`,
    ].join("\n"));
    return `<h3>${esc(groupTitle(group))}</h3>\n${figures.join("\n")}`;
  });
  const noscript = `<noscript><p class="missing">The charts are drawn by a script in this page; enable JavaScript to see them.</p></noscript>`;
  return `${open}\n${intro}\n${alertsPart(o)}\n${body.join("\n")}\n${noscript}\n</section>`;
}

const spans = (intervals: [number, number][]) => intervals.map(([from, to]) => `${num(from)}–${num(to)} s`).join(", ");

/** The alerts that fired, and for each applied fault whether the monitoring noticed it and how soon. */
function alertsPart(o: ObservabilityReport): string {
  const a = o.alerts;
  const defined = `<p>${esc(`Alerts evaluated (${a.defined.length}): ${a.defined.join(", ") || "none"}.${a.sloSkipped ? ` No SLO alerts: ${a.sloSkipped}.` : ""}`)}</p>`;
  if (a.error) return `<h3>Alerts</h3>\n${defined}\n${missing(`The alerts could not be read: ${a.error}`)}`;
  const fired = a.fired.length === 0 ? missing("No alert fired during the run.") : table("alerts-fired", ["Alert", "Firing (seconds since the load started)"], a.fired.map((f) => [describeAlert(f), spans(f.intervals)]));
  const detections = a.detections.length === 0
    ? missing("No fault was applied.")
    : table("fault-detection", ["Experiment", "Fault", "Targets", "Window", "Detection time", "Cleared at", "Alerts", "Result"], a.detections.map((d) => [
        d.experiment, d.fault, d.targets.join(", "), `${num(d.startedAt)}–${num(d.endedAt)} s`,
        d.detectionSeconds === undefined ? undefined : seconds(d.detectionSeconds),
        d.status !== "detected" ? undefined : d.clearedAt === undefined ? "still firing at the end" : `${num(d.clearedAt)} s`,
        d.alerts.join(", ") || undefined,
        d.status === "detected" ? badge(true, "detected") : d.status === "not detected" ? html(`<span class="badge bad">not detected</span> ${esc(d.reason ?? "")}`) : html(`<span class="badge">${esc(d.status)}</span> ${esc(d.reason ?? "")}`),
      ]));
  const notifications = a.notifications.length === 0
    ? missing("Alertmanager sent no notification.")
    : table("alert-notifications", ["Received", "Status", "Alerts"], a.notifications.map((n) => [`${num(n.receivedAt)} s`, n.status, n.alerts.map((x) => `${describeAlert({ alert: x.alert, labels: x.labels })} ${x.status}${x.summary ? `: ${x.summary}` : ""}`).join("; ")]));
  return `<h3>Alerts</h3>\n${defined}\n${fired}\n<h3>Fault detection (fault start to the first related alert firing)</h3>\n${detections}\n<h3>Notifications Alertmanager sent (to the stack's alert sink)</h3>\n${notifications}`;
}
