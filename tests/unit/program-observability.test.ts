// The ci program with cp3:observability on (Pulumi mocks): Prometheus and the three exporters as children of one
// Observability component, scraping every service the description gives metrics, NATS, PostgreSQL and every
// container's cgroup; the
// PostgreSQL exporter connects directly and verifies the server under TLS; Jaeger takes the flows' spans; the
// outputs name Prometheus and Jaeger.
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { valueOf, type MockRegistry } from "./mock-registry";
import { CONTAINER, ciConfig, envValue, IMAGE, loadProgram } from "./program-harness";

describe("the ci program with observability on", () => {
  let registry: MockRegistry;
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    const loaded = await loadProgram("ci-obs", { ...ciConfig, "cp3:tls": JSON.stringify({ enabled: true }), "cp3:observability": JSON.stringify({ enabled: true, scrapeIntervalSeconds: 3, traceSampleEvery: 4 }) });
    registry = loaded.registry;
    outputs = { observability: await valueOf(loaded.program.observability), images: await valueOf(loaded.program.images) };
  }, 60_000);

  it("declares Prometheus and the exporters under one Observability component, from the monitoring image", () => {
    expect(registry.byType("cp3:observability:Observability").map((r) => r.name)).toEqual(["observability"]);
    expect(registry.byType("cp3:observability:Prometheus").map((r) => r.name)).toEqual(["prometheus"]);
    expect(registry.byType("cp3:observability:Alertmanager").map((r) => r.name)).toEqual(["alertmanager"]);
    expect(registry.byType("cp3:observability:Jaeger").map((r) => r.name)).toEqual(["jaeger"]);
    expect(registry.byType("cp3:services:Service").map((r) => r.name).sort()).toEqual(["container-exporter", "gateway", "nats-exporter", "postgres-exporter", "worker"]);
    expect(registry.byType(IMAGE).map((r) => r.name)).toContain("monitoring-image");
    const prometheus = registry.one(CONTAINER, "prometheus-server");
    expect(prometheus.inputs).toMatchObject({ name: "cp3-ci-obs-prometheus", user: "10005:10005", readOnly: true, ports: [{ internal: 9090, ip: "127.0.0.1" }] });
    expect(prometheus.inputs.networksAdvanced).toEqual([{ name: "cp3-ci-obs-edge" }, { name: "cp3-ci-obs-data", aliases: ["prometheus"] }]);
  });

  it("has Alertmanager on the data network notify the sink, published on 127.0.0.1, and the flows send their alerts there", () => {
    const alertmanager = registry.one(CONTAINER, "alertmanager-server");
    expect(alertmanager.inputs).toMatchObject({ name: "cp3-ci-obs-alertmanager", user: "10007:10007", readOnly: true, networksAdvanced: [{ name: "cp3-ci-obs-data", aliases: ["alertmanager"] }] });
    expect(alertmanager.inputs.ports).toBeUndefined();
    const config = parse(envValue(alertmanager, "ALERTMANAGER_CONFIG")!) as { route: Record<string, unknown>; receivers: { name: string; webhook_configs: { url: string; send_resolved: boolean }[] }[] };
    expect(config.route).toMatchObject({ receiver: "sink", group_wait: "0s" });
    expect(config.receivers).toEqual([{ name: "sink", webhook_configs: [{ url: "http://alert-sink:9095/alerts", send_resolved: true }] }]);
    expect(registry.one(CONTAINER, "alertmanager-sink").inputs).toMatchObject({ ports: [{ internal: 9095, ip: "127.0.0.1" }], networksAdvanced: [{ name: "cp3-ci-obs-edge" }, { name: "cp3-ci-obs-data", aliases: ["alert-sink"] }] });
    for (const flow of ["gateway-0", "worker-0", "worker-1"]) expect(envValue(registry.one(CONTAINER, flow), "CONTAINER_ALERTS__URL"), flow).toBe("http://alertmanager:9093");
    const prometheus = parse(envValue(registry.one(CONTAINER, "prometheus-server"), "PROMETHEUS_CONFIG")!) as { alerting: unknown };
    expect(prometheus.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
  });

  it("scrapes each service's instances, the NATS exporter and the PostgreSQL exporter, every 3 s", () => {
    const config = parse(envValue(registry.one(CONTAINER, "prometheus-server"), "PROMETHEUS_CONFIG")!) as { global: Record<string, string>; scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[]; labels: Record<string, string> }[] }[] };
    expect(config.global).toEqual({ scrape_interval: "3s", scrape_timeout: "2s", evaluation_interval: "3s" });
    expect(config.scrape_configs.map((j) => [j.job_name, j.metrics_path, j.static_configs[0]!.targets, j.static_configs[0]!.labels])).toEqual([
      ["gateway", "/metrics", ["gateway:8080"], { service: "gateway" }],
      ["worker", "/metrics", ["worker-0:8081", "worker-1:8081"], { service: "worker" }],
      ["nats", "/metrics", ["nats-exporter:7777"], {}],
      ["postgres", "/metrics", ["postgres-exporter:9187"], {}],
      ["containers", "/metrics", ["container-exporter:9106"], {}],
    ]);
  });

  it("has the container exporter read every other container's cgroup from the host's tree, mounted read-only", () => {
    const exporter = registry.one(CONTAINER, "container-exporter-0");
    expect(exporter.inputs).toMatchObject({ user: "10006:10006", readOnly: true, mounts: [{ type: "bind", source: "/sys/fs/cgroup", target: "/host/cgroup", readOnly: true }] });
    expect(exporter.inputs.ports).toBeUndefined();
    expect(envValue(exporter, "CGROUP_ROOT")).toBe("/host/cgroup");
    const watched = JSON.parse(envValue(exporter, "CONTAINERS")!) as { name: string; id: string; component: string }[];
    expect(watched.map((c) => `${c.component}=${c.name}`).sort()).toEqual([
      "alert-sink=cp3-ci-obs-alert-sink", "alertmanager=cp3-ci-obs-alertmanager", "gateway=cp3-ci-obs-gateway", "jaeger=cp3-ci-obs-jaeger",
      "nats-exporter=cp3-ci-obs-nats-exporter", "nats=cp3-ci-obs-nats-0", "postgres-exporter=cp3-ci-obs-postgres-exporter", "postgres=cp3-ci-obs-postgres",
      "prometheus=cp3-ci-obs-prometheus", "toxiproxy=cp3-ci-obs-toxiproxy", "worker=cp3-ci-obs-worker-0", "worker=cp3-ci-obs-worker-1",
    ]);
    // The ids are the engine's (here the mocks'): the exporter finds each container's cgroup by its id.
    for (const c of watched) expect(c.id, c.name).not.toBe("");
  });

  it("has the PostgreSQL exporter connect straight to the server, verifying it, its password a file", () => {
    const exporter = registry.one(CONTAINER, "postgres-exporter-0");
    expect(envValue(exporter, "DATA_SOURCE_URI")).toBe("postgres:5432/postgres?sslmode=verify-full&sslrootcert=/run/secrets/tls-ca&application_name=postgres-exporter");
    expect(envValue(exporter, "DATA_SOURCE_PASS_FILE")).toBe("/run/secrets/postgres-password");
    expect((exporter.inputs.envs as string[]).some((e) => e.startsWith("DATA_SOURCE_PASS="))).toBe(false);
    const uploads = (registry.one(CONTAINER, "postgres-exporter-secrets-holder").inputs.uploads as { file: string }[]).map((u) => u.file).sort();
    expect(uploads).toEqual(["/run/secrets/postgres-password", "/run/secrets/tls-ca"]);
    expect(envValue(registry.one(CONTAINER, "nats-exporter-0"), "NATS_MONITOR_URLS")).toBe("http://nats-0:8222");
  });

  it("labels the PostgreSQL exporter, and only it, as reading its password at its start (a rotation restarts it)", () => {
    const readsAtStart = registry
      .byType(CONTAINER)
      .filter((c) => ((c.inputs.labels ?? []) as { label: string; value: string }[]).some((l) => l.label === "cp3.secrets-read" && l.value === "at-start"))
      .map((c) => c.name);
    expect(readsAtStart).toEqual(["postgres-exporter-0"]);
  });

  it("runs Jaeger on the data network with only its query API published, and the flows send their spans there", () => {
    const jaeger = registry.one(CONTAINER, "jaeger");
    expect(jaeger.inputs).toMatchObject({ name: "cp3-ci-obs-jaeger", user: "10008:10008", readOnly: true, memory: 1024, ports: [{ internal: 16686, ip: "127.0.0.1" }] });
    expect(jaeger.inputs.networksAdvanced).toEqual([{ name: "cp3-ci-obs-edge" }, { name: "cp3-ci-obs-data", aliases: ["jaeger"] }]);
    const config = parse(envValue(jaeger, "JAEGER_CONFIG")!) as { service: { pipelines: unknown }; receivers: unknown; extensions: { jaeger_storage: unknown } };
    expect(config.service.pipelines).toEqual({ traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } });
    expect(config.receivers).toEqual({ otlp: { protocols: { http: { endpoint: "0.0.0.0:4318" } } } });
    expect(config.extensions.jaeger_storage).toEqual({ backends: { memstore: { memory: { max_traces: 100_000 } } } });
    for (const flow of ["gateway-0", "worker-0", "worker-1"]) expect(envValue(registry.one(CONTAINER, flow), "CONTAINER_TRACES__URL"), flow).toBe("http://jaeger:4318");
  });

  it("outputs Prometheus's URL, its target count and the dashboard's source", () => {
    const o = outputs.observability as { enabled: boolean; prometheusUrl: string; targets: number; scrapeIntervalSeconds: number; dashboard: { services: { name: string }[]; stream: unknown; panels: unknown[] } };
    expect(o).toMatchObject({ enabled: true, targets: 6, scrapeIntervalSeconds: 3 });
    expect(o.prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((o as unknown as { alertSinkUrl: string }).alertSinkUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(o.dashboard.services.map((s) => s.name)).toEqual(["gateway", "worker"]);
    expect(o.dashboard.stream).toEqual({ name: "RECORDS", consumer: "workers" });
    expect(o.dashboard.panels).toHaveLength(4);
    expect((outputs.images as { monitoring?: string }).monitoring).toMatch(/^cp3\/monitoring:/);
    const traces = (o as unknown as { traces: { enabled: boolean; queryUrl: string; sampleEvery: number; spans: { service: string; name: string }[] } }).traces;
    expect(traces).toMatchObject({ enabled: true, sampleEvery: 4, maxTraces: 100_000 });
    expect(traces.queryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(traces.spans.map((s) => `${s.service}: ${s.name}`)).toEqual(["gateway: POST /v1/records", "gateway: records.accept", "gateway: records.publish", "worker: records.receive", "worker: records.process", "worker: records.commit", "worker: records.ack"]);
  });
});
