// The Prometheus rules a description implies, generated once: recording rules for the SLIs (the entry service's
// availability and latency, accept-to-processed when the description gives its histogram), the
// multi-window, multi-burn-rate alerts of Google's SRE workbook (ch. 5) on them, and the symptom alerts a fault
// should set off (a target down, a NATS server or PostgreSQL not answering, the consumer lag above its probe's
// bound). The run reads which fired when from Prometheus's ALERTS series.
//
// Scaling to a run: the workbook pages at 14.4x the budget's burn over 1 h and 5 min, and at 6x over 6 h and
// 30 min, for a 30-day period. A run lasts minutes, so its windows are the workbook's compressed by c = 1 h / L,
// where the short window S is four scrapes (at least 20 s: rate() needs two samples and a margin) and L = 12 S,
// as 1 h is 12 x 5 min. The burn-rate factors stay: a run fires a page when it spends its error budget as
// fast as a production page would. With 5 s scrapes: 14.4x over 240 s and 20 s, 6x over 1440 s and 120 s.
import { stringify } from "yaml";
import type { TestbedSpec } from "../testbed/spec";

export interface BurnWindow {
  /** The alert's name suffix: FastBurn, SlowBurn. */
  name: "FastBurn" | "SlowBurn";
  factor: number;
  longSeconds: number;
  shortSeconds: number;
}

export function burnWindows(scrapeIntervalSeconds: number): BurnWindow[] {
  const short = Math.max(4 * scrapeIntervalSeconds, 20);
  return [
    { name: "FastBurn", factor: 14.4, longSeconds: 12 * short, shortSeconds: short },
    { name: "SlowBurn", factor: 6, longSeconds: 72 * short, shortSeconds: 6 * short },
  ];
}

/** Seconds as a bucket bound the way the Prometheus client libraries write `le` (0.25, 1, 2.5). */
const bucketBound = (ms: number) => String(Number((ms / 1000).toPrecision(12)));
const round = (n: number) => Number(n.toPrecision(6));

export interface GeneratedRules {
  /** The rules file Prometheus loads. */
  yaml: string;
  /** Every alert's name, in the order defined. */
  alerts: string[];
  windows: BurnWindow[];
  /** Why there are no SLO alerts, when there are none (the entry service has no metrics). */
  sloSkipped?: string;
}

export function alertRules(spec: Pick<TestbedSpec, "services" | "drive" | "slos" | "probes">, scrapeIntervalSeconds: number): GeneratedRules {
  const windows = burnWindows(scrapeIntervalSeconds);
  const entry = spec.services.find((s) => s.name === spec.drive.entry);
  const groups: { name: string; interval?: string; rules: Record<string, unknown>[] }[] = [];
  const alerts: string[] = [];
  let sloSkipped: string | undefined;

  const seconds = [...new Set(windows.flatMap((w) => [w.shortSeconds, w.longSeconds]))].sort((a, b) => a - b);
  const slo = (kind: "Availability" | "Latency" | "AcceptToProcessed", series: string, target: number, service: string, what: string) =>
    windows.map((w) => {
      const threshold = round(w.factor * (1 - target));
      alerts.push(`SLO${kind}${w.name}`);
      return {
        alert: `SLO${kind}${w.name}`,
        expr: `${series}${w.longSeconds}s > ${threshold} and ${series}${w.shortSeconds}s > ${threshold}`,
        labels: { severity: w.name === "FastBurn" ? "page" : "ticket", slo: kind === "AcceptToProcessed" ? "accept-to-processed" : kind.toLowerCase(), service },
        annotations: { summary: `${service}: ${what} burns the ${target * 100} % objective's budget at over ${w.factor}x (over ${w.longSeconds} s and ${w.shortSeconds} s)` },
      };
    });
  if (entry?.metrics) {
    const m = entry.metrics;
    const by = `service="${entry.name}"`;
    const recording = seconds.flatMap((w) => [
      // "or vector(0)": requests and no 5xx is a ratio of 0, not a gap.
      { record: `cp3:slo_errors:ratio_rate${w}s`, expr: `(sum(rate(${m.requestsTotal}{${by},${m.statusLabel}=~"5.."}[${w}s])) or vector(0)) / sum(rate(${m.requestsTotal}{${by}}[${w}s]))`, labels: { slo: "availability", service: entry.name } },
      { record: `cp3:slo_slow:ratio_rate${w}s`, expr: `1 - sum(rate(${m.durationSeconds}_bucket{${by},le="${bucketBound(spec.slos.latency.thresholdMs)}"}[${w}s])) / sum(rate(${m.durationSeconds}_count{${by}}[${w}s]))`, labels: { slo: "latency", service: entry.name } },
    ]);
    groups.push({ name: "cp3-slo-recording", interval: `${scrapeIntervalSeconds}s`, rules: recording });
    groups.push({
      name: "cp3-slo-alerts",
      rules: [
        ...slo("Availability", "cp3:slo_errors:ratio_rate", spec.slos.availability.objective, entry.name, "the share of requests answered 5xx"),
        ...slo("Latency", "cp3:slo_slow:ratio_rate", spec.slos.latency.objective, entry.name, `the share of requests slower than ${spec.slos.latency.thresholdMs} ms`),
      ],
    });
  } else {
    sloSkipped = `the entry service ${spec.drive.entry} gives no metrics (services[].metrics), so there are no availability or latency SLO alerts`;
  }
  const a2p = spec.slos.acceptToProcessed;
  if (a2p) {
    // Records processed later than the threshold, over all processed: with no record processed in a window the
    // ratio is absent, not 0, so an outage that processes nothing shows in the consumer lag, not here.
    const by = `service="${a2p.service}"`;
    const recording = seconds.map((w) => ({
      record: `cp3:slo_late:ratio_rate${w}s`,
      expr: `1 - sum(rate(${a2p.histogram}_bucket{${by},le="${bucketBound(a2p.thresholdMs)}"}[${w}s])) / sum(rate(${a2p.histogram}_count{${by}}[${w}s]))`,
      labels: { slo: "accept-to-processed", service: a2p.service },
    }));
    groups.push({ name: "cp3-slo-accept-to-processed-recording", interval: `${scrapeIntervalSeconds}s`, rules: recording });
    groups.push({ name: "cp3-slo-accept-to-processed-alerts", rules: slo("AcceptToProcessed", "cp3:slo_late:ratio_rate", a2p.objective, a2p.service, `the share of records processed later than ${a2p.thresholdMs} ms after acceptance`) });
  }

  const symptom = (alert: string, expr: string, summary: string) => {
    alerts.push(alert);
    return { alert, expr, labels: { severity: "page" }, annotations: { summary } };
  };
  // A process that restarts between two scrapes never shows as down; its start time changes instead (the
  // Prometheus client libraries export process_start_time_seconds, our NATS exporter the servers' start).
  const restartWindow = `${2 * windows[0]!.shortSeconds}s`;
  groups.push({
    name: "cp3-symptoms",
    rules: [
      symptom("TargetDown", "up == 0", "Prometheus cannot scrape {{ $labels.instance }} ({{ $labels.job }})"),
      symptom("ProcessRestarted", `changes(process_start_time_seconds[${restartWindow}]) > 0`, "{{ $labels.instance }} ({{ $labels.job }}) restarted"),
      symptom("NatsServerRestarted", `changes(nats_server_start_time_seconds[${restartWindow}]) > 0`, "NATS server {{ $labels.server }} restarted"),
      symptom("NatsServerDown", "nats_server_up == 0", "NATS server {{ $labels.server }} does not answer its monitor"),
      symptom("PostgresDown", "pg_up == 0", "PostgreSQL does not answer the exporter"),
      symptom("PostgresRestarted", `changes(pg_postmaster_start_time_seconds[${restartWindow}]) > 0`, "PostgreSQL restarted"),
      ...spec.probes.flatMap((p) =>
        "consumerLag" in p ? [symptom("ConsumerLagHigh", `max by (stream, consumer) (nats_consumer_num_pending{stream="${p.consumerLag.stream}",consumer="${p.consumerLag.consumer}"}) > ${p.consumerLag.max}`, `consumer {{ $labels.stream }}/{{ $labels.consumer }} has more than ${p.consumerLag.max} messages waiting`)] : [],
      ),
    ],
  });
  return { yaml: stringify({ groups }), alerts: [...new Set(alerts)], windows, ...(sloSkipped ? { sloSkipped } : {}) };
}
