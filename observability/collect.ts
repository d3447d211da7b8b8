// What Prometheus saw of a run: every panel's queries as range queries over the run (the seconds on the same
// clock as the load's timeline, so the report shades the fault windows over them), and the targets' health.
// A query that fails is recorded on its panel, never thrown: the report shows what could be read.
import type { ExperimentResult } from "../chaos/results";
import { pollUntil } from "../lib/poll";
import { detectFaults, firedAlerts, sinkNotifications, type AlertNotification, type FaultDetection, type FiredAlert } from "./alerts";
import { PrometheusClient, type ScrapeTarget } from "../lib/prometheus-api";
import { legendOf, withRateWindow, type PanelDefinition } from "./panels";

export interface PanelSeries {
  name: string;
  /** [seconds since the load started, value] */
  points: [number, number][];
}

export interface ObservedPanel extends PanelDefinition {
  series: PanelSeries[];
  /** Why a query gave nothing: its error, or "no data". */
  problems: string[];
}

/** Observability as a run found it (report.observability). */
export interface ObservabilityReport {
  prometheusUrl: string;
  /** The rate window put in the queries, and the step between points. */
  rateWindow: string;
  stepSeconds: number;
  /** The targets after the run: how many are up, and each one that is not. */
  targets: { total: number; up: number; down: string[] };
  panels: ObservedPanel[];
  alerts: {
    /** Every alert Prometheus evaluates. */
    defined: string[];
    /** Why there are no SLO alerts, when there are none. */
    sloSkipped?: string;
    fired: FiredAlert[];
    /** Per applied fault: whether a related alert fired, how soon, and when it cleared. */
    detections: FaultDetection[];
    /** What Alertmanager sent its receiver (the stack's sink), alerts from services about to stop included. */
    notifications: AlertNotification[];
    /** Why the alerts could not be read, if they could not. */
    error?: string;
  };
}

const describeTarget = (t: ScrapeTarget) => `${t.job}/${t.instance} ${t.health}${t.lastError ? ` (${t.lastError})` : ""}`;

/** Waits until Prometheus has every expected target and each is up; the timeout names those that are not. */
export async function waitForTargetsUp(client: PrometheusClient, expected: number, o: { timeoutMs: number; signal?: AbortSignal }): Promise<ScrapeTarget[]> {
  return pollUntil(
    async (note) => {
      const targets = await client.targets().catch((err: unknown) => {
        note(`Prometheus did not answer: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (!targets) return undefined;
      const notUp = targets.filter((t) => t.health !== "up");
      if (targets.length >= expected && notUp.length === 0) return targets;
      note(`${targets.length - notUp.length} of ${expected} targets up; not up: ${notUp.map(describeTarget).join(", ") || "(none listed yet)"}`);
      return undefined;
    },
    { timeoutMs: o.timeoutMs, intervalMs: 1_000, ...(o.signal ? { signal: o.signal } : {}), what: `all ${expected} Prometheus targets up` },
  );
}

/** The rate window for a scrape interval: four scrapes, as Grafana's $__rate_interval is at least. */
export const rateWindowFor = (scrapeIntervalSeconds: number) => `${Math.max(4 * scrapeIntervalSeconds, 20)}s`;

export async function collectObservability(
  client: PrometheusClient,
  panels: PanelDefinition[],
  o: { loadStartedAtMs: number; endMs: number; scrapeIntervalSeconds: number; alerts: string[]; sloSkipped?: string; experiments: ExperimentResult[]; containerPrefix: string; alertSinkUrl: string },
): Promise<ObservabilityReport> {
  const start = o.loadStartedAtMs / 1000;
  const end = o.endMs / 1000;
  // At most about 400 points per series, never finer than a scrape.
  const stepSeconds = Math.max(o.scrapeIntervalSeconds, Math.ceil((end - start) / 400));
  const rateWindow = rateWindowFor(o.scrapeIntervalSeconds);
  const observed: ObservedPanel[] = [];
  for (const panel of panels) {
    const series: PanelSeries[] = [];
    const problems: string[] = [];
    for (const q of panel.queries) {
      try {
        const result = await client.queryRange(withRateWindow(q.expr, rateWindow), start, end, stepSeconds);
        const withPoints = result.filter((r) => r.points.length > 0);
        if (withPoints.length === 0) problems.push(`${q.legend}: no data`);
        for (const r of withPoints) series.push({ name: legendOf(q.legend, r.labels), points: r.points.map(([t, v]): [number, number] => [Math.round((t - start) * 10) / 10, Number(v.toPrecision(6))]) });
      } catch (err) {
        problems.push(`${q.legend}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    observed.push({ ...panel, series, problems });
  }
  const targets = await client.targets().catch(() => []);
  const down = targets.filter((t) => t.health !== "up").map(describeTarget);
  // Alerts by the second, not at the panels' coarser step: detection times need it.
  const alerts: ObservabilityReport["alerts"] = { defined: o.alerts, ...(o.sloSkipped ? { sloSkipped: o.sloSkipped } : {}), fired: [], detections: [], notifications: [] };
  try {
    alerts.fired = await firedAlerts(client, { loadStartedAtMs: o.loadStartedAtMs, endMs: o.endMs, evaluationSeconds: o.scrapeIntervalSeconds });
    const hosts = new Set(targets.map((t) => t.instance.replace(/:\d+$/, "")));
    const jobs = new Set(targets.map((t) => t.job));
    const monitored = (host: string) => hosts.has(host) || (jobs.has("nats") && /^nats-\d+$/.test(host)) || (jobs.has("postgres") && host === "postgres");
    alerts.detections = detectFaults(o.experiments, alerts.fired, { containerPrefix: o.containerPrefix, endSeconds: (o.endMs - o.loadStartedAtMs) / 1000, stepSeconds: o.scrapeIntervalSeconds, monitored });
    alerts.notifications = await sinkNotifications(o.alertSinkUrl, o.loadStartedAtMs);
  } catch (err) {
    alerts.error = err instanceof Error ? err.message : String(err);
  }
  return { prometheusUrl: client.baseUrl, rateWindow, stepSeconds, targets: { total: targets.length, up: targets.length - down.length, down }, panels: observed, alerts };
}
