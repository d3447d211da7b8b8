// The rules a description implies (components/alert-rules.ts): the SRE workbook's burn-rate windows compressed
// to a run's scrape interval, the entry service's SLI recording rules and alerts, and the symptom alerts.
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { alertRules, burnWindows } from "../../components/alert-rules";
import { projectRoot } from "../../lib/paths";
import { parseConfig } from "../../stacks/config";
import { referenceWorkload } from "../../testbed/presets/reference";
import { validateSpec } from "../../testbed/validate";

type Rules = { groups: { name: string; interval?: string; rules: { record?: string; alert?: string; expr: string; labels?: Record<string, string> }[] }[] };
const reference = validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "ci" }, "ci"), path.join(projectRoot, "workload")));

describe("alert rules", () => {
  it("compresses the workbook's 1 h / 5 min and 6 h / 30 min windows to four scrapes (at least 20 s) and 12 times that", () => {
    expect(burnWindows(5)).toEqual([
      { name: "FastBurn", factor: 14.4, longSeconds: 240, shortSeconds: 20 },
      { name: "SlowBurn", factor: 6, longSeconds: 1440, shortSeconds: 120 },
    ]);
    expect(burnWindows(15).map((w) => [w.shortSeconds, w.longSeconds])).toEqual([[60, 720], [360, 4320]]);
  });

  it("records the entry service's error and slow ratios over each window, and alerts on both windows above the burn", () => {
    const generated = alertRules(reference, 5);
    const rules = parse(generated.yaml) as Rules;
    expect(rules.groups.map((g) => g.name)).toEqual(["cp3-slo-recording", "cp3-slo-alerts", "cp3-slo-accept-to-processed-recording", "cp3-slo-accept-to-processed-alerts", "cp3-symptoms"]);
    const recording = rules.groups[0]!;
    expect(recording.interval).toBe("5s");
    expect(recording.rules.map((r) => r.record)).toEqual([20, 120, 240, 1440].flatMap((w) => [`cp3:slo_errors:ratio_rate${w}s`, `cp3:slo_slow:ratio_rate${w}s`]));
    expect(recording.rules[0]).toEqual({ record: "cp3:slo_errors:ratio_rate20s", expr: '(sum(rate(http_requests_total{service="gateway",status=~"5.."}[20s])) or vector(0)) / sum(rate(http_requests_total{service="gateway"}[20s]))', labels: { slo: "availability", service: "gateway" } });
    expect(recording.rules[1]!.expr).toBe('1 - sum(rate(http_request_duration_seconds_bucket{service="gateway",le="0.25"}[20s])) / sum(rate(http_request_duration_seconds_count{service="gateway"}[20s]))');
    const fast = rules.groups[1]!.rules[0]!;
    expect(fast).toMatchObject({ alert: "SLOAvailabilityFastBurn", expr: "cp3:slo_errors:ratio_rate240s > 0.144 and cp3:slo_errors:ratio_rate20s > 0.144", labels: { severity: "page", slo: "availability", service: "gateway" } });
    expect(rules.groups[1]!.rules[3]!.expr).toBe("cp3:slo_slow:ratio_rate1440s > 0.06 and cp3:slo_slow:ratio_rate120s > 0.06");
    expect(generated.alerts).toEqual(["SLOAvailabilityFastBurn", "SLOAvailabilitySlowBurn", "SLOLatencyFastBurn", "SLOLatencySlowBurn", "SLOAcceptToProcessedFastBurn", "SLOAcceptToProcessedSlowBurn", "TargetDown", "ProcessRestarted", "NatsServerRestarted", "NatsServerDown", "PostgresDown", "PostgresRestarted", "ConsumerLagHigh"]);
    expect(rules.groups[4]!.rules.find((r) => r.alert === "ConsumerLagHigh")!.expr).toBe('max by (stream, consumer) (nats_consumer_num_pending{stream="RECORDS",consumer="workers"}) > 1000');
    expect(rules.groups[4]!.rules.find((r) => r.alert === "ProcessRestarted")!.expr).toBe("changes(process_start_time_seconds[40s]) > 0");
  });

  it("records accept-to-processed from the histogram the description names, and alerts on its burn", () => {
    const rules = parse(alertRules(reference, 5).yaml) as Rules;
    const recording = rules.groups[2]!;
    expect(recording.interval).toBe("5s");
    expect(recording.rules.map((r) => r.record)).toEqual([20, 120, 240, 1440].map((w) => `cp3:slo_late:ratio_rate${w}s`));
    expect(recording.rules[0]).toEqual({
      record: "cp3:slo_late:ratio_rate20s",
      expr: '1 - sum(rate(record_accept_to_processed_seconds_bucket{service="worker",le="5"}[20s])) / sum(rate(record_accept_to_processed_seconds_count{service="worker"}[20s]))',
      labels: { slo: "accept-to-processed", service: "worker" },
    });
    expect(rules.groups[3]!.rules.map((r) => [r.alert, r.expr, r.labels])).toEqual([
      ["SLOAcceptToProcessedFastBurn", "cp3:slo_late:ratio_rate240s > 0.144 and cp3:slo_late:ratio_rate20s > 0.144", { severity: "page", slo: "accept-to-processed", service: "worker" }],
      ["SLOAcceptToProcessedSlowBurn", "cp3:slo_late:ratio_rate1440s > 0.06 and cp3:slo_late:ratio_rate120s > 0.06", { severity: "ticket", slo: "accept-to-processed", service: "worker" }],
    ]);
  });

  it("refuses an accept-to-processed SLO whose service gives no metrics, naming the field", () => {
    const spec = { name: "mine", services: [{ name: "api", image: { local: "api:1" }, ports: [{ port: 80, entry: true }] }], drive: { entry: "api", request: { method: "GET", path: "/" } } };
    expect(() => validateSpec({ ...spec, slos: { acceptToProcessed: { service: "api", histogram: "done_seconds", thresholdMs: 1000 } } })).toThrow('slos.acceptToProcessed.service: got "api"; allowed: a service with metrics ((none)), since Prometheus reads the histogram from it');
    expect(() => validateSpec({ ...spec, slos: { acceptToProcessed: { service: "api", histogram: "done-seconds", thresholdMs: 1000 } } })).toThrow("slos.acceptToProcessed.histogram");
  });

  it("takes the objectives, the latency bound and the metric names from the description", () => {
    const own = validateSpec({
      name: "mine",
      services: [{ name: "api", image: { local: "api:1" }, ports: [{ port: 80, entry: true }], metrics: { port: 9100, requestsTotal: "api_requests_total", durationSeconds: "api_seconds", statusLabel: "code" } }],
      drive: { entry: "api", request: { method: "GET", path: "/" } },
      slos: { availability: { objective: 0.999 }, latency: { thresholdMs: 1000, objective: 0.95 } },
    });
    const rules = parse(alertRules(own, 5).yaml) as Rules;
    expect(rules.groups[0]!.rules[1]!.expr).toContain('api_seconds_bucket{service="api",le="1"}');
    expect(rules.groups[1]!.rules.map((r) => r.expr.split(" and ")[0])).toEqual(["cp3:slo_errors:ratio_rate240s > 0.0144", "cp3:slo_errors:ratio_rate1440s > 0.006", "cp3:slo_slow:ratio_rate240s > 0.72", "cp3:slo_slow:ratio_rate1440s > 0.3"]);
  });

  it("has no SLO alerts, and says why, when the entry service gives no metrics", () => {
    const bare = validateSpec({ name: "bare", services: [{ name: "api", image: { local: "api:1" }, ports: [{ port: 80, entry: true }] }], drive: { entry: "api", request: { method: "GET", path: "/" } } });
    const generated = alertRules(bare, 5);
    expect(generated.sloSkipped).toBe("the entry service api gives no metrics (services[].metrics), so there are no availability or latency SLO alerts");
    expect((parse(generated.yaml) as Rules).groups.map((g) => g.name)).toEqual(["cp3-symptoms"]);
  });
});
