// The dashboard panels, defined once: RED (rate, errors, duration) per scraped service, JetStream, PostgreSQL,
// each container's CPU and memory, then the description's own panels. The run report draws them from Prometheus range queries over the run; `cp3
// export dashboards` writes them as Grafana dashboard JSON. `$__rate_interval` stands for the rate window
// (Grafana fills it; the report puts its own window there).
import type { DashboardSource } from "../components/observability";

export const RATE_WINDOW = "$__rate_interval";

export interface PanelQuery {
  /** The series' name; `{{label}}` is replaced by the series' value of that label. */
  legend: string;
  expr: string;
}

export interface PanelDefinition {
  /** Unique within a dashboard: lower-case letters, digits and '-'. */
  id: string;
  /** The row it is shown in: a service's name, "jetstream", "postgres", "containers" or "system". */
  group: string;
  title: string;
  unit: string;
  queries: PanelQuery[];
}

const GROUP_TITLES: Record<string, string> = { jetstream: "NATS and JetStream", postgres: "PostgreSQL", containers: "Containers: CPU and memory (from their cgroups)", system: "The system's own metrics" };
/** A group's heading, in the report and as a Grafana row. */
export const groupTitle = (group: string) => GROUP_TITLES[group] ?? `Service ${group}: rate, errors, duration`;

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 48);
const quote = (value: string) => JSON.stringify(value);

function redPanels(s: DashboardSource["services"][number]): PanelDefinition[] {
  const by = `service=${quote(s.name)}`;
  const requests = `sum(rate(${s.requestsTotal}{${by}}[${RATE_WINDOW}]))`;
  const errors = `sum(rate(${s.requestsTotal}{${by},${s.statusLabel}=~"5.."}[${RATE_WINDOW}]))`;
  const quantile = (q: number) => `histogram_quantile(${q}, sum by (le) (rate(${s.durationSeconds}_bucket{${by}}[${RATE_WINDOW}]))) * 1000`;
  return [
    { id: `${s.name}-rate`, group: s.name, title: `${s.name}: requests per second`, unit: "requests / s", queries: [{ legend: "all", expr: requests }, { legend: "by status {{" + s.statusLabel + "}}", expr: `sum by (${s.statusLabel}) (rate(${s.requestsTotal}{${by}}[${RATE_WINDOW}]))` }] },
    // "or vector(0)": a window with requests and no 5xx has no error series; it is a rate of 0, not a gap.
    { id: `${s.name}-errors`, group: s.name, title: `${s.name}: share of requests answered 5xx`, unit: "%", queries: [{ legend: "5xx", expr: `(${errors} or vector(0)) / ${requests} * 100` }] },
    { id: `${s.name}-duration`, group: s.name, title: `${s.name}: request duration`, unit: "ms", queries: [{ legend: "p50", expr: quantile(0.5) }, { legend: "p95", expr: quantile(0.95) }, { legend: "p99", expr: quantile(0.99) }] },
  ];
}

function jetstreamPanels(stream: DashboardSource["stream"]): PanelDefinition[] {
  if (stream.name === "") return [];
  const st = `stream=${quote(stream.name)}`;
  const c = `${st},consumer=${quote(stream.consumer)}`;
  // A replicated stream is reported by each server holding it: max over the servers is the stream's figure.
  return [
    { id: "jetstream-backlog", group: "jetstream", title: `JetStream ${stream.name}/${stream.consumer}: messages waiting and in flight`, unit: "messages", queries: [
      { legend: "not yet delivered", expr: `max(nats_consumer_num_pending{${c}})` },
      { legend: "delivered, not acknowledged", expr: `max(nats_consumer_num_ack_pending{${c}})` },
      { legend: "redelivered", expr: `max(nats_consumer_num_redelivered{${c}})` },
    ] },
    { id: "jetstream-stream", group: "jetstream", title: `JetStream ${stream.name}: messages held`, unit: "messages", queries: [{ legend: "messages", expr: `max(nats_stream_messages{${st}})` }] },
    { id: "nats-messages", group: "jetstream", title: "NATS: messages in and out per second", unit: "messages / s", queries: [
      { legend: "in", expr: `sum(rate(nats_server_in_msgs_total[${RATE_WINDOW}]))` },
      { legend: "out", expr: `sum(rate(nats_server_out_msgs_total[${RATE_WINDOW}]))` },
    ] },
    { id: "nats-up", group: "jetstream", title: "NATS: servers answering", unit: "servers", queries: [{ legend: "up", expr: "sum(nats_server_up)" }] },
  ];
}

const POSTGRES_PANELS: PanelDefinition[] = [
  { id: "postgres-transactions", group: "postgres", title: "PostgreSQL: transactions per second", unit: "transactions / s", queries: [
    { legend: "commits", expr: `sum(rate(pg_stat_database_xact_commit[${RATE_WINDOW}]))` },
    { legend: "rollbacks", expr: `sum(rate(pg_stat_database_xact_rollback[${RATE_WINDOW}]))` },
  ] },
  { id: "postgres-connections", group: "postgres", title: "PostgreSQL: connections", unit: "connections", queries: [{ legend: "{{datname}}", expr: 'sum by (datname) (pg_stat_database_numbackends{datname!~"template.*|"})' }] },
  { id: "postgres-up", group: "postgres", title: "PostgreSQL: server answering the exporter", unit: "up", queries: [{ legend: "up", expr: "pg_up" }] },
];

// From the container exporter (images/monitoring/container-exporter.mjs); a restart's counter reset is what rate() expects.
const CONTAINER_PANELS: PanelDefinition[] = [
  { id: "containers-cpu", group: "containers", title: "Containers: CPU in % of one core", unit: "% of a core", queries: [{ legend: "{{container}}", expr: `sum by (container) (rate(container_cpu_usage_seconds_total[${RATE_WINDOW}])) * 100` }] },
  { id: "containers-memory", group: "containers", title: "Containers: memory working set (tmpfs included)", unit: "MiB", queries: [{ legend: "{{container}}", expr: "sum by (container) (container_memory_working_set_bytes) / 1048576" }] },
];

/** Every panel of a testbed's dashboard, in the order they are shown. */
export function dashboardPanels(source: DashboardSource): PanelDefinition[] {
  const own = source.panels.map((p, i): PanelDefinition => ({ id: `system-${i + 1}-${slug(p.title)}`, group: "system", title: p.title, unit: p.unit, queries: p.queries.map((q) => ({ ...q })) }));
  return [...source.services.flatMap(redPanels), ...jetstreamPanels(source.stream), ...POSTGRES_PANELS, ...CONTAINER_PANELS, ...own];
}

/** A query with the rate window filled in, for a Prometheus that is not Grafana. */
export const withRateWindow = (expr: string, window: string) => expr.replaceAll(RATE_WINDOW, window);

/** A series' name: the legend with each `{{label}}` replaced by the series' value. */
export const legendOf = (legend: string, labels: Record<string, string>) => legend.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, label: string) => labels[label] ?? "");
