// Observability in the testbed (issue 14), on a real engine: a ci stack (monitoring on, TLS on, as the template
// has it). Prometheus scrapes every target; promtool checks the generated rules and runs their unit tests inside
// the stack's own Prometheus container; `cp3 verify` with the default experiments gives a report with every
// panel drawn from Prometheus, both faults detected by an alert, and every processed record's trace in Jaeger
// (each hop a child of the one before, across NATS); every query of `cp3 export dashboards` returns data from the
// live Prometheus over that run.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardQueries, type GrafanaDashboard } from "../../export/grafana";
import * as docker from "../../lib/docker-api";
import { PrometheusClient } from "../../lib/prometheus-api";
import { newRunId } from "../../lib/run-id";
import { rateWindowFor, sinkNotifications, waitForTargetsUp, withRateWindow } from "../../observability";
import { traceIdOf } from "../../lib/trace-ids";
import { pollUntil } from "../../lib/poll";
import { cpuSeconds } from "../../chaos/cgroup";
import { upStack } from "../../lifecycle/stacks";
import type { RunReport } from "../../reporting/model";
import { startCli } from "./cli-process";
import { upStackForFile } from "./stack-fixture";

const f = upStackForFile<{ observability: { enabled: boolean; prometheusUrl: string; targets: number; alerts: string[]; alertSinkUrl: string }; containers: { worker: string[] } }>(`ci-obs-${newRunId()}`);
const prometheusContainer = () => `cp3-${f.name}-prometheus`;

/**
 * promtool unit tests of the generated rules (5 s scrapes: fast burn over 240 s and 20 s, slow over 1440 s and
 * 120 s; restarts seen for 40 s): the gateway answers 100 requests/s, from 205 s on as many 5xx (a third of the
 * traffic errors at once, half of it in the short windows); the workers process 20 records/s within 5 s, from
 * 205 s on as many later than that.
 */
const RULE_TESTS = `rule_files: [rules.yml]
evaluation_interval: 5s
tests:
  - interval: 5s
    input_series:
      - series: 'http_requests_total{service="gateway",status="202"}'
        values: '0+500x100'
      - series: 'http_requests_total{service="gateway",status="503"}'
        values: '0x40 0+500x60'
      - series: 'up{job="worker",instance="worker-0:8081"}'
        values: '1x10 0x5 1x10'
      - series: 'process_start_time_seconds{job="worker",instance="worker-0:8081"}'
        values: '100x20 160x20'
      - series: 'record_accept_to_processed_seconds_bucket{service="worker",le="5"}'
        values: '0+100x100'
      - series: 'record_accept_to_processed_seconds_count{service="worker"}'
        values: '0+100x40 4200+200x60'
    alert_rule_test:
      - eval_time: 60s
        alertname: TargetDown
        exp_alerts:
          - exp_labels: { severity: page, job: worker, instance: "worker-0:8081" }
            exp_annotations: { summary: "Prometheus cannot scrape worker-0:8081 (worker)" }
      - eval_time: 100s
        alertname: TargetDown
        exp_alerts: []
      - eval_time: 110s
        alertname: ProcessRestarted
        exp_alerts:
          - exp_labels: { severity: page, job: worker, instance: "worker-0:8081" }
            exp_annotations: { summary: "worker-0:8081 (worker) restarted" }
      - eval_time: 150s
        alertname: ProcessRestarted
        exp_alerts: []
      - eval_time: 200s
        alertname: SLOAvailabilitySlowBurn
        exp_alerts: []
      - eval_time: 230s
        alertname: SLOAvailabilityFastBurn
        exp_alerts: []
      - eval_time: 230s
        alertname: SLOAvailabilitySlowBurn
        exp_alerts:
          - exp_labels: { severity: ticket, slo: availability, service: gateway }
            exp_annotations: { summary: "gateway: the share of requests answered 5xx burns the 99 % objective's budget at over 6x (over 1440 s and 120 s)" }
      - eval_time: 270s
        alertname: SLOAvailabilityFastBurn
        exp_alerts:
          - exp_labels: { severity: page, slo: availability, service: gateway }
            exp_annotations: { summary: "gateway: the share of requests answered 5xx burns the 99 % objective's budget at over 14.4x (over 240 s and 20 s)" }
      - eval_time: 270s
        alertname: SLOLatencyFastBurn
        exp_alerts: []
      - eval_time: 200s
        alertname: SLOAcceptToProcessedFastBurn
        exp_alerts: []
      - eval_time: 270s
        alertname: SLOAcceptToProcessedFastBurn
        exp_alerts:
          - exp_labels: { severity: page, slo: accept-to-processed, service: worker }
            exp_annotations: { summary: "worker: the share of records processed later than 5000 ms after acceptance burns the 99 % objective's budget at over 14.4x (over 240 s and 20 s)" }
`;

describe("observability in the testbed", () => {
  it("has Prometheus on 127.0.0.1 scraping every target, all up", async () => {
    const o = f.outputs.observability;
    expect(o.enabled).toBe(true);
    expect(o.prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const targets = await waitForTargetsUp(new PrometheusClient(o.prometheusUrl), o.targets, { timeoutMs: 60_000 });
    expect(targets.map((t) => `${t.job}/${t.instance}`).sort()).toEqual(["containers/container-exporter:9106", "gateway/gateway:8080", "nats/nats-exporter:7777", "postgres/postgres-exporter:9187", "worker/worker-0:8081", "worker/worker-1:8081"]);
  });

  it("has the container exporter give each container's CPU as the host's cgroup counts it", async () => {
    const client = new PrometheusClient(f.outputs.observability.prometheusUrl);
    const container = `cp3-${f.name}-postgres`;
    const pid = (await docker.inspectContainer(container)).State.Pid;
    // Read from the host after the query: the scraped value is at most one scrape (5 s at 1 CPU) behind it.
    const scraped = await pollUntil(async () => (await client.query(`container_cpu_usage_seconds_total{container="${container}"}`))[0]?.value, { timeoutMs: 30_000, intervalMs: 1_000, what: `${container}'s CPU in Prometheus` });
    const host = cpuSeconds(pid);
    expect(scraped).toBeGreaterThan(0);
    expect(scraped).toBeLessThanOrEqual(host);
    expect(host - scraped).toBeLessThan(6);
    const memory = await client.query(`container_memory_working_set_bytes{component="postgres"}`);
    expect(memory.map((m) => m.labels.container)).toEqual([container]);
    expect(memory[0]!.value).toBeGreaterThan(1024 * 1024);
  });

  it("has promtool pass the generated rules and their unit tests", async () => {
    const check = await docker.exec(prometheusContainer(), ["promtool", "check", "rules", "/run/prometheus/rules.yml"]);
    expect(check.output, check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.exitCode).toBe(0);
    // The root filesystem is read-only: promtool's test storage goes to the config tmpfs.
    const test = await docker.exec(prometheusContainer(), ["sh", "-c", 'printf "%s" "$RULE_TESTS" > /run/prometheus/rules.test.yml && promtool test rules /run/prometheus/rules.test.yml'], 60_000, [`RULE_TESTS=${RULE_TESTS}`, "TMPDIR=/run/prometheus"]);
    expect(test.output, test.output).toContain("SUCCESS");
    expect(test.exitCode).toBe(0);
  });

  it("reports every panel from Prometheus, an alert for each fault of worker-kill and nats-restart, and every record's trace", async () => {
    const verify = startCli(["verify", "--stack", f.name, "--duration", "60s", "--rate", "50", "--report-dir", f.reportDir]);
    expect(await verify.exited, verify.output().slice(-4000)).toBe(0);
    const dir = fs.readdirSync(f.reportDir).find((d) => fs.existsSync(path.join(f.reportDir, d, "report.json")))!;
    const report = JSON.parse(fs.readFileSync(path.join(f.reportDir, dir, "report.json"), "utf8")) as RunReport;
    const o = report.observability!;
    expect(o.panels.filter((p) => p.series.length === 0).map((p) => `${p.id}: ${p.problems.join("; ")}`)).toEqual([]);
    expect(o.panels.length).toBeGreaterThanOrEqual(16);
    const detections = o.alerts.detections.map((d) => [d.experiment, d.status]);
    expect(detections, JSON.stringify(o.alerts, null, 1)).toEqual([["worker-kill", "detected"], ["nats-restart", "detected"]]);
    for (const d of o.alerts.detections) expect(d.detectionSeconds!, d.experiment).toBeLessThanOrEqual(30);
    expect(fs.readFileSync(path.join(f.reportDir, dir, "junit.xml"), "utf8")).toMatch(/<testsuite name="monitoring" tests="2" failures="0" errors="0" skipped="0"/);
    expect(verify.output()).toMatch(/observability: 1\d of 1\d panels with data from Prometheus/);

    // Every processed record's trace was looked up (about 3,000: under the bound), and every one holds all 7 spans:
    // the worker SIGKILLed by worker-kill exports what it had spooled when it starts again. (The verdict's gate
    // is 99 %; the reference flows must reach the goal.)
    const t = report.traces!;
    expect(t.error).toBeUndefined();
    expect(t.expected).toHaveLength(7);
    expect(t.sampled).toBe(report.integrity!.acknowledged - 100 - report.integrity!.lost.length);
    expect(t.checked).toBe(t.sampled);
    expect(t.coverage!, JSON.stringify({ missing: t.missingBySpan, incomplete: t.incomplete.slice(0, 3) })).toBe(1);
    expect(t.complete).toBe(t.checked);
    expect(verify.output()).toMatch(/traces: coverage \d+\.\d\d %: \d+ of \d+ traces complete/);
    expect(fs.readFileSync(path.join(f.reportDir, dir, "junit.xml"), "utf8")).toMatch(/<testsuite name="traces" tests="1" failures="0" errors="0" skipped="0"/);
    // One record's trace, as Jaeger's UI shows it: each hop the child of the one before it, across NATS.
    const jaegerUrl = (f.outputs.observability as unknown as { traces: { queryUrl: string } }).traces.queryUrl;
    const raw = (await (await fetch(`${jaegerUrl}/api/traces/${traceIdOf(report.runId, 1000)}`)).json()) as { data: { spans: { spanID: string; operationName: string; references: { refType: string; spanID: string }[] }[] }[] };
    const spans = raw.data[0]!.spans;
    const parentOf = (name: string) => spans.find((s) => s.spanID === spans.find((x) => x.operationName === name)?.references.find((r) => r.refType === "CHILD_OF")?.spanID)?.operationName;
    expect(["records.accept", "records.publish", "records.receive", "records.process", "records.commit", "records.ack"].map((n) => [n, parentOf(n)])).toEqual([
      ["records.accept", "POST /v1/records"],
      ["records.publish", "records.accept"],
      ["records.receive", "records.publish"],
      ["records.process", "records.receive"],
      ["records.commit", "records.receive"],
      ["records.ack", "records.receive"],
    ]);

    // Every query of the Grafana export, as Grafana would run it, has data at an instant of the load with no fault
    // in place: the schedule's seed is random, and while NATS restarts its exporter has no JetStream series (a
    // run whose nats-restart held 30-40 s found those four queries empty at 30 s).
    const out = path.join(f.reportDir, "dashboard.json");
    const exported = startCli(["export", "dashboards", "--stack", f.name, "--out", out]);
    expect(await exported.exited, exported.output()).toBe(0);
    const queries = dashboardQueries(JSON.parse(fs.readFileSync(out, "utf8")) as GrafanaDashboard);
    expect(queries.length).toBeGreaterThanOrEqual(30);
    const client = new PrometheusClient(f.outputs.observability.prometheusUrl);
    // At least 10 s after a fault ended: the server back, the exporter scraped again.
    const quiet = [30, 25, 35, 20, 40, 45, 15, 50, 55, 10].find((s) => report.experiments.every((e) => e.faults.every((x) => s < x.startedAt - 2 || s > x.endedAt + 10)));
    expect(quiet, JSON.stringify(report.experiments.map((e) => e.faults.map((x) => [x.startedAt, x.endedAt])))).toBeDefined();
    const middle = report.load!.startedAtMs! / 1000 + quiet!;
    const empty: string[] = [];
    for (const q of queries) {
      const samples = (await client.query(withRateWindow(q.expr, rateWindowFor(5)), middle)).filter((s) => Number.isFinite(s.value));
      if (samples.length === 0) empty.push(`${q.panel}: ${q.expr}`);
    }
    expect(empty).toEqual([]);

    // Cost per record, from the container exporter's series over the same window: every part used CPU and
    // memory, and no container more CPU than its limit allows (the workers: 2 x 0.5 CPU).
    const c = report.cost!;
    expect(c.error).toBeUndefined();
    expect(c.records).toBe(report.integrity!.acknowledged - 100 - report.integrity!.lost.length);
    for (const g of c.groups) {
      expect(g.cpuSecondsPer1000!, g.group).toBeGreaterThan(0);
      expect(g.meanMemoryMiB, g.group).toBeGreaterThan(1);
    }
    expect(c.components.map((x) => x.component)).toEqual(expect.arrayContaining(["gateway", "worker", "nats", "postgres", "toxiproxy", "prometheus", "jaeger", "alertmanager"]));
    const worker = c.components.find((x) => x.component === "worker")!;
    expect(worker.cpuSeconds).toBeGreaterThan(0);
    expect(worker.cpuSeconds).toBeLessThanOrEqual(2 * 0.5 * c.windowSeconds * 1.05);
    expect(verify.output()).toMatch(/cost per 1,000 records \(\d+ processed over \d+ s\): system [\d.]+ CPU-s/);
    expect(fs.readFileSync(path.join(f.reportDir, dir, "report.html"), "utf8")).toContain('<table id="cost-groups">');
  }, 900_000);

  it("has a worker whose configuration turns fatal alert Alertmanager before it stops", async () => {
    // The workers are replaced with the test-only setting; 15 s after starting each throws from a timer.
    await f.stack.setConfig("cp3:worker.testOnlyFatalAfterSeconds", { value: "15" }, true);
    await upStack(f.stack);
    const since = Date.now();
    const fatal = await pollUntil(
      async (note) => {
        const all = await sinkNotifications(f.outputs.observability.alertSinkUrl, since);
        const flowFatal = all.flatMap((n) => n.alerts.filter((a) => a.alert === "FlowFatal").map((a) => ({ ...a, receivedAt: n.receivedAt })));
        note(`${all.length} notifications, FlowFatal for ${flowFatal.map((a) => a.labels.instance).join(", ") || "none"}`);
        return new Set(flowFatal.map((a) => a.labels.instance)).size === 2 ? flowFatal : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 2_000, what: "FlowFatal from both workers at the alert sink" },
    );
    expect(fatal[0]).toMatchObject({ status: "firing", labels: { service: "worker", severity: "page" } });
    expect(fatal[0]!.summary).toMatch(/^worker-\d stops on a fatal error: TEST ONLY: the worker's configuration turned fatal/);
    const logs = await docker.containerLogs(f.outputs.containers.worker[0]!, 200);
    expect(logs).toMatch(/"level":"fatal".*uncaught exception: TEST ONLY/);
    expect(logs).toContain("alert before stopping: sent to http://alertmanager:9093");
  }, 300_000);
});
