// The three charts of report.html: their frames as markup, and the browser script that draws them.
import * as fs from "node:fs";
import * as path from "node:path";
import { escapeAttribute, escapeMarkup } from "./escape";
import type { TimelinePoint } from "./model";

export interface ChartSpec {
  /** The figure's id is `chart-${id}`. */
  id: string;
  title: string;
  field: keyof TimelinePoint;
  /** Multiplies the field, e.g. 100 to show a 0..1 share as %. */
  scale: number;
  unit: string;
}

export const CHARTS: readonly ChartSpec[] = [
  { id: "throughput", title: "Throughput: requests acknowledged per second", field: "acknowledged", scale: 1, unit: "acknowledged / s" },
  { id: "latency", title: "Latency: 95th percentile of the requests ending each second", field: "p95Ms", scale: 1, unit: "p95 latency (ms)" },
  { id: "errors", title: "Error rate: requests ending each second without an acknowledgement", field: "errorRate", scale: 100, unit: "error rate (%)" },
];

/** An empty frame the script fills; the spec travels in data attributes so the script stays generic. */
export function chartFigure(spec: ChartSpec): string {
  return [
    `<figure class="chart" id="chart-${spec.id}" data-field="${escapeAttribute(spec.field)}" data-scale="${spec.scale}" data-unit="${escapeAttribute(spec.unit)}">`,
    `<figcaption>${escapeMarkup(spec.title)}</figcaption>`,
    `<svg class="plot" viewBox="0 0 760 250" width="760" height="250" role="img" aria-label="${escapeAttribute(spec.title)}"></svg>`,
    `</figure>`,
  ].join("\n");
}

let cachedScript: string | undefined;

/** The drawing script, read once from charts.browser.js (kept as a file so it is linted as JavaScript). */
export function chartScript(): string {
  if (cachedScript === undefined) {
    const script = fs.readFileSync(path.join(__dirname, "charts.browser.js"), "utf8");
    // It is inlined in a <script> element, which the first "</script" would close.
    if (/<\/script/i.test(script)) throw new Error("charts.browser.js must not contain </script");
    cachedScript = script;
  }
  return cachedScript;
}
