// `cp3 export dashboards`: the report's panels (observability/panels.ts) as a Grafana dashboard for the user's own
// Grafana (Grafana itself is AGPL and not shipped). One row per group, two time series panels a row, each query
// as written (Grafana fills $__rate_interval), the Prometheus data source chosen on import through a variable.
import { dashboardSourceOf } from "../components/observability";
import { dashboardPanels, groupTitle, type PanelDefinition } from "../observability/panels";
import type { TestbedSpec } from "../testbed/spec";

/** Grafana's unit ids for the units the panels use; any other unit is shown as the axis label only. */
const UNITS: Record<string, string> = { "%": "percent", ms: "ms", "requests / s": "reqps" };
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

export interface GrafanaDashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Record<string, unknown>[];
  [key: string]: unknown;
}

export function grafanaDashboard(o: { title: string; uid: string; panels: PanelDefinition[] }): GrafanaDashboard {
  const out: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const group of [...new Set(o.panels.map((p) => p.group))]) {
    out.push({ id: id++, type: "row", title: groupTitle(group), collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    o.panels.filter((p) => p.group === group).forEach((p, i) => {
      out.push({
        id: id++,
        type: "timeseries",
        title: p.title,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: UNITS[p.unit] ?? "short", custom: { axisLabel: p.unit } }, overrides: [] },
        options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "none" } },
        targets: p.queries.map((q, j) => ({ refId: String.fromCharCode(65 + j), datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend, range: true })),
      });
    });
    y += Math.ceil(o.panels.filter((p) => p.group === group).length / 2) * 8;
  }
  return {
    title: o.title,
    uid: o.uid,
    tags: ["cp3"],
    timezone: "browser",
    schemaVersion: 39,
    time: { from: "now-30m", to: "now" },
    refresh: "10s",
    templating: { list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {}, hide: 0 }] },
    panels: out,
  };
}

/** Every PromQL query of a dashboard, with its panel's title (what the live check runs). */
export function dashboardQueries(d: GrafanaDashboard): { panel: string; expr: string }[] {
  return d.panels.flatMap((p) => ((p.targets as { expr: string }[] | undefined) ?? []).map((t) => ({ panel: String(p.title), expr: t.expr })));
}

/** A stack's dashboard, from the description its program declares. */
export function dashboardOf(spec: TestbedSpec, stack: string): GrafanaDashboard {
  return grafanaDashboard({ title: `cp3 ${spec.name} (${stack})`, uid: `cp3-${spec.name}-${stack}`.slice(0, 40), panels: dashboardPanels(dashboardSourceOf(spec)) });
}
