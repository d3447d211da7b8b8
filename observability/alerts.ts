// Which alerts fired during a run, and whether the monitoring noticed each fault. Prometheus records every alert's
// state as the ALERTS series at each rule evaluation, so one range query after the run gives each alert's firing
// intervals. The query steps by a second (coarser only past 10,000 points): a step of an evaluation interval
// would show an alert up to one interval after Prometheus fired it. A fault is detected when an alert related to it (one naming its
// target, or a system-wide one: an SLO's burn, the consumer lag) fires from its start to a grace period after
// its end; the detection time runs from the fault's start to the first such firing.
import type { ExperimentResult, FaultResult } from "../chaos/results";
import { getJson } from "../lib/http-probe";
import type { PrometheusClient } from "../lib/prometheus-api";

export interface FiredAlert {
  alert: string;
  labels: Record<string, string>;
  /** Seconds since the load started: firing from, firing until (the last evaluation that saw it firing). */
  intervals: [number, number][];
}

export interface FaultDetection {
  experiment: string;
  fault: string;
  targets: string[];
  startedAt: number;
  endedAt: number;
  /** A process stopped (kill, restart, pod deletion): some alert should fire. Other faults may pass unnoticed. */
  expected: boolean;
  /** "not monitored": no target of the fault is watched by Prometheus (a service without `metrics`). */
  status: "detected" | "not detected" | "not expected" | "not monitored";
  /** The alerts related to the fault that fired in its window ("name{label=value}"). */
  alerts: string[];
  /** Seconds from the fault's start to the first related alert firing. */
  detectionSeconds?: number;
  /** Seconds since the load started when the last related alert stopped firing (undefined: still firing at the end). */
  clearedAt?: number;
  /** Why it counts as not detected or not expected. */
  reason?: string;
}

/** Faults that stop a process: a scrape target or a server goes away, so an alert must notice. */
export const PROCESS_FAULTS = ["container-kill", "container-restart", "pod-delete", "pod-evict", "scale-to-zero"];
/** A fault's alerts may fire this long after it ended (scrape, evaluation and the short burn window). */
export const DETECTION_GRACE_SECONDS = 60;

/** Each alert's firing intervals from the ALERTS series, between the load's start and `endMs`. */
export async function firedAlerts(client: PrometheusClient, o: { loadStartedAtMs: number; endMs: number; evaluationSeconds: number }): Promise<FiredAlert[]> {
  const start = o.loadStartedAtMs / 1000;
  const step = alertStepSeconds((o.endMs - o.loadStartedAtMs) / 1000);
  const series = await client.queryRange('ALERTS{alertstate="firing"}', start, o.endMs / 1000, step);
  return series.map((s) => {
    const labels = Object.fromEntries(Object.entries(s.labels).filter(([k]) => !["__name__", "alertstate", "alertname"].includes(k)));
    const alertname = s.labels.alertname;
    const intervals: [number, number][] = [];
    for (const [t] of s.points) {
      const at = Math.round((t - start) * 10) / 10;
      const last = intervals.at(-1);
      // A gap of more than one evaluation ends an interval.
      if (last && at - last[1] <= Math.max(step, o.evaluationSeconds) * 1.5) last[1] = at;
      else intervals.push([at, at]);
    }
    return { alert: alertname ?? "", labels, intervals };
  });
}

/** A second, or coarser for runs so long that a second would pass Prometheus's 11,000 points a series. */
export const alertStepSeconds = (seconds: number) => Math.max(1, Math.ceil(seconds / 10_000));

export const describeAlert = (a: Pick<FiredAlert, "alert" | "labels">) => {
  const shown = ["service", "instance", "server", "slo", "stream", "consumer"].flatMap((k) => (a.labels[k] ? [[k, a.labels[k]] as const] : []));
  return `${a.alert}${shown.length > 0 ? `{${shown.map(([k, v]) => `${k}=${v}`).join(",")}}` : ""}`;
};

/** The name a fault's target has on the testbed's networks (an instance's host name): worker-0 for cp3-<stack>-worker-0. */
const hostOf = (target: string, containerPrefix: string) => (target.startsWith(containerPrefix) ? target.slice(containerPrefix.length) : target);

/** Whether an alert concerns a fault: it names one of the fault's targets (by instance or server), or concerns the whole system. */
function related(a: FiredAlert, f: FaultResult, containerPrefix: string): boolean {
  const hosts = f.targets.map((t) => hostOf(t, containerPrefix));
  if (a.alert === "PostgresDown" || a.alert === "PostgresRestarted") return hosts.includes("postgres");
  if (a.alert === "NatsServerDown" || a.alert === "NatsServerRestarted") return hosts.includes(a.labels.server ?? "");
  if (a.alert === "TargetDown" || a.alert === "ProcessRestarted") return hosts.includes((a.labels.instance ?? "").replace(/:\d+$/, ""));
  // SLO burns and the consumer lag are symptoms of the system as a whole.
  return true;
}

/**
 * `endSeconds`: the end of the ALERTS query (seconds since the load started); an alert firing there has not
 * cleared. `monitored`: whether Prometheus watches a host (an instance it scrapes, a NATS server, PostgreSQL).
 */
export function detectFaults(experiments: ExperimentResult[], fired: FiredAlert[], o: { containerPrefix: string; endSeconds: number; stepSeconds: number; monitored: (host: string) => boolean }): FaultDetection[] {
  const { containerPrefix } = o;
  return experiments.flatMap((e) =>
    e.faults
      .filter((f) => f.status === "applied")
      .map((f): FaultDetection => {
        const until = f.endedAt + DETECTION_GRACE_SECONDS;
        const hits = fired.flatMap((a) => (related(a, f, containerPrefix) ? a.intervals.filter(([from, to]) => to >= f.startedAt && from <= until).map((i) => ({ a, i })) : []));
        const expected = PROCESS_FAULTS.includes(f.kind);
        const base = { experiment: e.name, fault: f.kind, targets: f.targets, startedAt: f.startedAt, endedAt: f.endedAt, expected, alerts: [...new Set(hits.map((h) => describeAlert(h.a)))] };
        if (hits.length === 0) {
          if (expected && !f.targets.some((t) => o.monitored(hostOf(t, containerPrefix)))) {
            return { ...base, status: "not monitored", reason: "no target of the fault is watched by Prometheus: give the service `metrics` in its description so its outage can be noticed" };
          }
          return expected
            ? { ...base, status: "not detected", reason: `no related alert fired from the fault's start to ${DETECTION_GRACE_SECONDS} s after its end` }
            : { ...base, status: "not expected", reason: "a degradation, not a stopped process: it is noticed only when it burns the error budget fast enough for an SLO alert" };
        }
        const first = Math.min(...hits.map((h) => h.i[0]));
        const lastEnd = Math.max(...hits.map((h) => h.i[1]));
        const stillFiring = lastEnd >= o.endSeconds - 1.5 * o.stepSeconds;
        return { ...base, status: "detected", detectionSeconds: Math.max(0, Math.round((first - f.startedAt) * 10) / 10), ...(stillFiring ? {} : { clearedAt: lastEnd }) };
      }),
  );
}

/** The verdict's reasons: a fault that stopped a process and set off no alert is an outage nobody was told of. */
export function detectionReasons(o: { alerts: { detections: FaultDetection[]; error?: string } } | undefined): string[] {
  if (!o) return [];
  if (o.alerts.error) return [`monitoring: the alerts could not be read from Prometheus: ${o.alerts.error}`];
  return o.alerts.detections.filter((d) => d.status === "not detected").map((d) => `monitoring: experiment ${d.experiment}'s ${d.fault} on ${d.targets.join(", ")} was not detected: ${d.reason}`);
}

/** One notification Alertmanager sent to the sink: when it came, and the alerts it carried. */
export interface AlertNotification {
  /** Seconds since the load started (negative: before it). */
  receivedAt: number;
  status: string;
  alerts: { alert: string; status: string; labels: Record<string, string>; summary: string }[];
}

interface SinkEntry {
  receivedAt: number;
  status: string;
  alerts: { status: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

/** Every notification the stack's alert sink holds (GET /notifications on 127.0.0.1). */
export async function sinkNotifications(sinkUrl: string, loadStartedAtMs: number): Promise<AlertNotification[]> {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(sinkUrl)) throw new Error(`alert sink URL: got ${JSON.stringify(sinkUrl)}; allowed: http://127.0.0.1:<port> (the stack output observability.alertSinkUrl)`);
  const { status, body } = await getJson<SinkEntry[]>(`${sinkUrl}/notifications`);
  if (status !== 200 || !Array.isArray(body)) throw new Error(`the alert sink ${sinkUrl}/notifications answered ${status} without a list`);
  return body.map((n) => ({
    receivedAt: Math.round((n.receivedAt - loadStartedAtMs) / 100) / 10,
    status: n.status,
    alerts: n.alerts.map((a) => {
      const { alertname, ...labels } = a.labels ?? {};
      return { alert: alertname ?? "", status: a.status, labels, summary: a.annotations?.summary ?? "" };
    }),
  }));
}
