// The dashboard's panels, defined once for the report and the Grafana export: RED per scraped service with the
// description's metric names, JetStream for the first consumer, PostgreSQL, then the description's own panels.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardSourceOf } from "../../components/observability";
import { projectRoot } from "../../lib/paths";
import { dashboardPanels, legendOf, withRateWindow } from "../../observability";
import { parseConfig } from "../../stacks/config";
import { referenceWorkload } from "../../testbed/presets/reference";
import { validateSpec } from "../../testbed/validate";

const reference = validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "ci" }, "ci"), path.join(projectRoot, "workload")));

describe("dashboard panels", () => {
  it("gives every scraped service rate, errors and duration, then JetStream, PostgreSQL, the containers and the system's own panels", () => {
    expect(dashboardPanels(dashboardSourceOf(reference)).map((p) => `${p.group}/${p.id}`)).toEqual([
      "gateway/gateway-rate", "gateway/gateway-errors", "gateway/gateway-duration",
      "worker/worker-rate", "worker/worker-errors", "worker/worker-duration",
      "jetstream/jetstream-backlog", "jetstream/jetstream-stream", "jetstream/nats-messages", "jetstream/nats-up",
      "postgres/postgres-transactions", "postgres/postgres-connections", "postgres/postgres-up",
      "containers/containers-cpu", "containers/containers-memory",
      "system/system-1-records-accepted-and-processed-per-second", "system/system-2-success-rate-record-requests-answered-202",
      "system/system-3-redeliveries-suppressed-duplicates-and-dead-lett", "system/system-4-accept-to-processed-gateway-to-worker-commit",
    ]);
  });

  it("writes the RED queries with the description's metric and label names", () => {
    const own = validateSpec({
      name: "mine",
      services: [{ name: "api", image: { local: "api:1" }, ports: [{ port: 80, entry: true }], metrics: { port: 9100, requestsTotal: "api_requests_total", durationSeconds: "api_latency_seconds", statusLabel: "code" } }],
      drive: { entry: "api", request: { method: "GET", path: "/" } },
    });
    const [rate, errors, duration] = dashboardPanels(dashboardSourceOf(own));
    expect(rate!.queries.map((q) => q.expr)).toEqual(['sum(rate(api_requests_total{service="api"}[$__rate_interval]))', 'sum by (code) (rate(api_requests_total{service="api"}[$__rate_interval]))']);
    expect(errors!.queries[0]!.expr).toBe('(sum(rate(api_requests_total{service="api",code=~"5.."}[$__rate_interval])) or vector(0)) / sum(rate(api_requests_total{service="api"}[$__rate_interval])) * 100');
    expect(duration!.queries[1]).toEqual({ legend: "p95", expr: 'histogram_quantile(0.95, sum by (le) (rate(api_latency_seconds_bucket{service="api"}[$__rate_interval]))) * 1000' });
    // No stream: no JetStream panels; PostgreSQL's and the containers' are always there.
    expect(dashboardPanels(dashboardSourceOf(own)).map((p) => p.group)).toEqual(["api", "api", "api", "postgres", "postgres", "postgres", "containers", "containers"]);
  });

  it("fills the rate window and the legends' labels", () => {
    expect(withRateWindow("rate(x[$__rate_interval]) + rate(y[$__rate_interval])", "20s")).toBe("rate(x[20s]) + rate(y[20s])");
    expect(legendOf("by status {{status}} on {{ instance }}", { status: "202", instance: "gateway:8080" })).toBe("by status 202 on gateway:8080");
    expect(legendOf("{{missing}}x", {})).toBe("x");
  });
});
