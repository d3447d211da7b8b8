// The testbed's monitoring: Prometheus scraping every service that says where its metrics are, NATS and
// JetStream through our exporter (images/monitoring/nats-exporter.mjs), PostgreSQL through Debian's exporter,
// and every container's CPU and memory through our container exporter; Alertmanager taking Prometheus's alerts
// (and those of services about to stop) to a sink the run reads. The PostgreSQL exporter connects directly
// (never through Toxiproxy, so a fault on the services' link leaves the monitoring's view of the database
// intact) and verifies the server like every client when TLS is on.
import * as pulumi from "@pulumi/pulumi";
import type { PanelSpecInput, TestbedSpec } from "../testbed/spec";
import { Alertmanager } from "./alertmanager";
import { Jaeger, type JaegerArgs } from "./jaeger";
import type { ContainerRef, Ownership } from "./labels";
import { Prometheus, type ScrapeJob } from "./prometheus";
import { secretPath, TLS_CA_FILE } from "./secret-files";
import { Service } from "./service";

export const NATS_EXPORTER_PORT = 7777;
/** Seconds between the monitoring containers' health checks. */
export const MONITORING_CHECK_SECONDS = 10;
export const POSTGRES_EXPORTER_PORT = 9187;
export const CONTAINER_EXPORTER_PORT = 9106;
/** Where the container exporter finds the host's cgroup tree (mounted read-only). */
const CGROUP_MOUNT = "/host/cgroup";
const EXPORTER_USER = "10006:10006";
const PASSWORD_FILE = "postgres-password";

/** A service Prometheus scrapes: each instance's host name on the testbed's networks, and its metrics endpoint. */
export interface ScrapedService {
  readonly name: string;
  readonly instances: readonly string[];
  readonly port: number;
  readonly path: string;
}

export interface ObservabilityArgs {
  readonly owner: Ownership;
  /** The monitoring image (images/monitoring). */
  readonly image: pulumi.Input<string>;
  /** The image the exporters' secret-file holder is created from (one that does not change with the code). */
  readonly holderImage: pulumi.Input<string>;
  readonly edgeNetworkName: pulumi.Input<string>;
  readonly dataNetworkName: pulumi.Input<string>;
  /** http://<server>:8222 of every NATS server. */
  readonly natsMonitorUrls: readonly string[];
  /** How the PostgreSQL exporter connects: the server's host and port on the data network, the superuser's password. */
  readonly postgres: { readonly host: string; readonly port: number; readonly password: pulumi.Input<string> };
  /** The CA that verifies PostgreSQL's certificate (TLS on); undefined connects without TLS. @default undefined */
  readonly tlsCa?: pulumi.Input<string>;
  readonly services: readonly ScrapedService[];
  /**
   * The system's and the testbed's containers whose CPU and memory the container exporter reads (the
   * monitoring's own are added). @default only the monitoring's own
   */
  readonly containers?: readonly pulumi.Input<ContainerRef>[];
  /** Recording and alerting rules (a Prometheus rules file). @default no rules */
  readonly rules?: string;
  /** @default 5 */
  readonly scrapeIntervalSeconds?: number;
  /** Prometheus's memory limit. @default 384 */
  readonly memoryMiB?: number;
  /** Prometheus's CPUs. @default 0.5 */
  readonly cpus?: number;
  /** Jaeger, for the services' spans; undefined runs none. @default undefined */
  readonly tracing?: Pick<JaegerArgs, "maxTraces" | "memoryMiB" | "cpus">;
}

/** The scrape jobs: one per service (labelled service=<name>), then NATS, PostgreSQL and the containers. */
export function scrapeJobs(services: readonly ScrapedService[]): ScrapeJob[] {
  return [
    ...services.map((s) => ({ job: s.name, targets: s.instances.map((i) => `${i}:${s.port}`), metricsPath: s.path, labels: { service: s.name } })),
    { job: "nats", targets: [`nats-exporter:${NATS_EXPORTER_PORT}`] },
    { job: "postgres", targets: [`postgres-exporter:${POSTGRES_EXPORTER_PORT}`] },
    { job: "containers", targets: [`container-exporter:${CONTAINER_EXPORTER_PORT}`] },
  ];
}

/**
 * What the dashboards (the report's panels, the Grafana export) are drawn from: each scraped service's RED
 * metrics, the first stream and its consumer, and the description's own panels.
 */
export interface DashboardSource {
  services: { name: string; requestsTotal: string; durationSeconds: string; statusLabel: string }[];
  stream: { name: string; consumer: string };
  panels: PanelSpecInput[];
}

export function dashboardSourceOf(spec: TestbedSpec): DashboardSource {
  const consumer = spec.nats.consumers[0];
  return {
    services: spec.services.flatMap((s) => (s.metrics ? [{ name: s.name, requestsTotal: s.metrics.requestsTotal, durationSeconds: s.metrics.durationSeconds, statusLabel: s.metrics.statusLabel }] : [])),
    stream: { name: consumer?.stream ?? "", consumer: consumer?.name ?? "" },
    panels: spec.panels,
  };
}

export class Observability extends pulumi.ComponentResource {
  /** Prometheus's UI and API on 127.0.0.1. */
  public readonly prometheusUrl: pulumi.Output<string>;
  /** Where services send alerts on the data network (`alertmanager.url` in a description). */
  public readonly alertmanagerUrl: string;
  /** The alert sink on 127.0.0.1 (GET /notifications): every notification Alertmanager sent. */
  public readonly alertSinkUrl: pulumi.Output<string>;
  /** Every container it runs. */
  public readonly containerNames: pulumi.Output<string[]>;
  /** How many targets Prometheus scrapes (the health gate waits for all of them up). */
  public readonly targetCount: number;
  /** Jaeger's query API and UI on 127.0.0.1; "" without tracing. */
  public readonly jaegerUrl: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:observability:Observability", name, {}, opts);
    if (args.natsMonitorUrls.length === 0) throw new pulumi.ResourceError(`Observability ${name}: natsMonitorUrls is empty; give every NATS server's http://<host>:8222`, this);
    const clash = args.services.find((s) => ["nats", "postgres", "nats-exporter", "postgres-exporter", "container-exporter", "prometheus", "alertmanager", "alert-sink", "jaeger"].includes(s.name));
    if (clash) throw new pulumi.ResourceError(`Observability ${name}: a service is named "${clash.name}", which the monitoring uses itself; rename the service in the system description`, this);
    // Node.js starts at about 35 MiB of RSS: the NATS exporter gets room above that; Go's exporter needs less. A
    // health check every 10 s, not 2: each is an exec the engine pays for, on the machine the system runs on.
    const common = { owner: args.owner, image: args.image, networkNames: [args.dataNetworkName], user: EXPORTER_USER, memoryMiB: 64, cpus: 0.25, holderImage: args.holderImage, checkIntervalSeconds: MONITORING_CHECK_SECONDS };

    const natsExporter = new Service(
      "nats-exporter",
      { ...common, memoryMiB: 128, command: ["/usr/bin/tini", "--", "node", "/usr/local/lib/cp3/nats-exporter.mjs"], env: { NATS_MONITOR_URLS: args.natsMonitorUrls.join(","), EXPORTER_PORT: String(NATS_EXPORTER_PORT) }, check: { http: { port: NATS_EXPORTER_PORT, path: "/healthz" } } },
      { parent: this },
    );
    const tls = args.tlsCa !== undefined;
    const postgresExporter = new Service(
      "postgres-exporter",
      {
        ...common,
        command: ["/usr/bin/tini", "--", "prometheus-postgres-exporter", `--web.listen-address=:${POSTGRES_EXPORTER_PORT}`, "--disable-settings-metrics"],
        env: {
          // Named, so its sessions show as the exporter's in pg_stat_activity (and the transport watch).
          DATA_SOURCE_URI: `${args.postgres.host}:${args.postgres.port}/postgres?${tls ? `sslmode=verify-full&sslrootcert=${secretPath(TLS_CA_FILE)}` : "sslmode=disable"}&application_name=postgres-exporter`,
          DATA_SOURCE_USER: "postgres",
          DATA_SOURCE_PASS_FILE: secretPath(PASSWORD_FILE),
        },
        secretFiles: { [PASSWORD_FILE]: args.postgres.password, ...(tls ? { [TLS_CA_FILE]: args.tlsCa! } : {}) },
        // It reads DATA_SOURCE_PASS_FILE once, at its start (measured: after a rotation its new connections were
        // refused), so a rotation restarts it.
        secretsReadAtStart: true,
        check: { http: { port: POSTGRES_EXPORTER_PORT, path: "/" } },
      },
      { parent: this },
    );
    const alertmanager = new Alertmanager("alertmanager", { owner: args.owner, image: args.image, edgeNetworkName: args.edgeNetworkName, dataNetworkName: args.dataNetworkName }, { parent: this });
    const jobs = scrapeJobs(args.services);
    this.targetCount = jobs.reduce((n, j) => n + j.targets.length, 0);
    const prometheus = new Prometheus(
      "prometheus",
      {
        owner: args.owner,
        image: args.image,
        edgeNetworkName: args.edgeNetworkName,
        dataNetworkName: args.dataNetworkName,
        jobs,
        alertmanagers: [alertmanager.url.replace(/^http:\/\//, "")],
        ...(args.rules !== undefined ? { rules: args.rules } : {}),
        ...(args.scrapeIntervalSeconds !== undefined ? { scrapeIntervalSeconds: args.scrapeIntervalSeconds } : {}),
        ...(args.memoryMiB !== undefined ? { memoryMiB: args.memoryMiB } : {}),
        ...(args.cpus !== undefined ? { cpus: args.cpus } : {}),
      },
      { parent: this },
    );
    const jaeger = args.tracing ? new Jaeger("jaeger", { owner: args.owner, image: args.image, edgeNetworkName: args.edgeNetworkName, dataNetworkName: args.dataNetworkName, ...args.tracing }, { parent: this }) : undefined;
    // CPU and memory per container from the host's cgroups, mounted read-only (as cAdvisor reads them): the engine's
    // socket would give the exporter the whole engine. It cannot list itself: its id exists only once it does.
    const watched = [...(args.containers ?? []), ...prometheus.containerRefs, ...natsExporter.containerRefs, ...postgresExporter.containerRefs, ...alertmanager.containerRefs, ...(jaeger ? jaeger.containerRefs : [])];
    const containerExporter = new Service(
      "container-exporter",
      {
        ...common,
        memoryMiB: 96,
        command: ["/usr/bin/tini", "--", "node", "/usr/local/lib/cp3/container-exporter.mjs"],
        env: { CONTAINERS: pulumi.all(watched).apply((refs) => JSON.stringify(refs)), CGROUP_ROOT: CGROUP_MOUNT, EXPORTER_PORT: String(CONTAINER_EXPORTER_PORT) },
        mounts: [{ source: "/sys/fs/cgroup", target: CGROUP_MOUNT }],
        check: { http: { port: CONTAINER_EXPORTER_PORT, path: "/healthz" } },
      },
      { parent: this },
    );
    this.jaegerUrl = jaeger ? jaeger.queryUrl : pulumi.output("");
    this.prometheusUrl = prometheus.url;
    this.alertmanagerUrl = alertmanager.url;
    this.alertSinkUrl = alertmanager.sinkUrl;
    this.containerNames = pulumi
      .all([prometheus.containerName, natsExporter.containerNames, postgresExporter.containerNames, containerExporter.containerNames, alertmanager.containerNames, jaeger ? jaeger.containerName : ""])
      .apply(([p, n, g, c, a, j]) => [p, ...n, ...g, ...c, ...a, ...(j ? [j] : [])]);
    this.registerOutputs({ prometheusUrl: this.prometheusUrl, alertSinkUrl: this.alertSinkUrl, jaegerUrl: this.jaegerUrl, containerNames: this.containerNames });
  }
}
