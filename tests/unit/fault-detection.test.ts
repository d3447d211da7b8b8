// Whether the monitoring noticed each fault (observability/alerts.ts): an alert related to the fault's target, or
// a system-wide one, firing from the fault's start to the grace period after its end.
import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "../../chaos/results";
import { alertStepSeconds, detectFaults, detectionReasons, firedAlerts, type FiredAlert } from "../../observability/alerts";
import type { PrometheusClient } from "../../lib/prometheus-api";

const experiment = (name: string, kind: string, target: string, startedAt: number, endedAt: number): ExperimentResult => ({
  name, description: "", startedAt, endedAt, steadyStateBefore: [], steadyStateAfter: [], status: "passed",
  faults: [{ kind, targets: [target], parameters: {}, startedAt, endedAt, status: "applied", effect: "", removed: true }],
});
const o = { containerPrefix: "cp3-ci-x-", endSeconds: 200, stepSeconds: 5, monitored: (host: string) => host !== "orders" };

describe("fault detection", () => {
  const fired: FiredAlert[] = [
    { alert: "ProcessRestarted", labels: { job: "worker", instance: "worker-0:8081", service: "worker", severity: "page" }, intervals: [[24, 60]] },
    { alert: "NatsServerDown", labels: { job: "nats", instance: "nats-exporter:7777", server: "nats-0" }, intervals: [[55, 65]] },
    { alert: "ProcessRestarted", labels: { job: "gateway", instance: "gateway:8080", service: "gateway" }, intervals: [[190, 200]] },
  ];

  it("times a detected fault from its start to the first related alert, and its clearing", () => {
    const [worker, nats] = detectFaults([experiment("worker-kill", "container-kill", "cp3-ci-x-worker-0", 20, 30), experiment("nats-restart", "container-restart", "cp3-ci-x-nats-0", 50, 60)], fired, o);
    expect(worker).toMatchObject({ status: "detected", expected: true, detectionSeconds: 4, clearedAt: 60, alerts: ["ProcessRestarted{service=worker,instance=worker-0:8081}"] });
    expect(nats).toMatchObject({ status: "detected", detectionSeconds: 5, clearedAt: 65, alerts: ["NatsServerDown{instance=nats-exporter:7777,server=nats-0}"] });
  });

  it("ignores alerts about other targets, and flags a stopped process nobody noticed", () => {
    const [other] = detectFaults([experiment("worker-kill", "container-kill", "cp3-ci-x-worker-1", 20, 30)], fired, o);
    expect(other).toMatchObject({ status: "not detected", expected: true, alerts: [] });
    expect(detectionReasons({ alerts: { detections: [other!] } })).toEqual(["monitoring: experiment worker-kill's container-kill on cp3-ci-x-worker-1 was not detected: no related alert fired from the fault's start to 60 s after its end"]);
  });

  it("says a fault on a service Prometheus does not watch is not monitored, which is no finding", () => {
    const [orders] = detectFaults([experiment("orders-kill", "container-kill", "cp3-ci-x-orders", 20, 30)], fired, o);
    expect(orders).toMatchObject({ status: "not monitored", expected: true });
    expect(detectionReasons({ alerts: { detections: [orders!] } })).toEqual([]);
  });

  it("does not require an alert for a degradation, and leaves an alert firing at the end uncleared", () => {
    const [latency] = detectFaults([experiment("postgres-latency", "latency", "postgres", 100, 120)], fired, o);
    expect(latency).toMatchObject({ status: "not expected", expected: false });
    const [gateway] = detectFaults([experiment("gateway-kill", "container-kill", "cp3-ci-x-gateway", 185, 195)], fired, o);
    expect(gateway).toMatchObject({ status: "detected", detectionSeconds: 5 });
    expect(gateway!.clearedAt).toBeUndefined();
  });

  it("counts an SLO burn as related to any fault in its window", () => {
    const slo: FiredAlert = { alert: "SLOAvailabilityFastBurn", labels: { slo: "availability", service: "gateway" }, intervals: [[112, 130]] };
    expect(detectFaults([experiment("postgres-latency", "latency", "postgres", 100, 120)], [slo], o)[0]).toMatchObject({ status: "detected", detectionSeconds: 12 });
  });

  it("reads each alert's firing intervals from ALERTS by the second, a gap of more than an evaluation ending one", async () => {
    const t0 = 1_800_000_000;
    const seconds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i): [number, number] => [t0 + from + i, 1]);
    const asked: unknown[] = [];
    const client = {
      async queryRange(expr: string, start: number, end: number, step: number) {
        asked.push([expr, start, end, step]);
        return [{ labels: { __name__: "ALERTS", alertname: "ProcessRestarted", alertstate: "firing", instance: "worker-0:8081", severity: "page" }, points: [...seconds(5, 20), ...seconds(40, 45)] }];
      },
    } as unknown as PrometheusClient;
    expect(await firedAlerts(client, { loadStartedAtMs: t0 * 1000, endMs: (t0 + 60) * 1000, evaluationSeconds: 5 })).toEqual([{ alert: "ProcessRestarted", labels: { instance: "worker-0:8081", severity: "page" }, intervals: [[5, 20], [40, 45]] }]);
    expect(asked).toEqual([['ALERTS{alertstate="firing"}', t0, t0 + 60, 1]]);
    // A day's soak stays within Prometheus's 11,000 points a series.
    expect([alertStepSeconds(60), alertStepSeconds(86_400)]).toEqual([1, 9]);
  });
});
