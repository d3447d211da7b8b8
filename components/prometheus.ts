import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { hardened, tmpfsFor } from "./hardening";
import { containerRef, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";

export const PROMETHEUS_PORT = 9090;
const PROMETHEUS_USER = "10005:10005";

/** One scrape job: its targets (host:port on the testbed's networks) and the labels every series of it gets. */
export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly string[];
  /** @default "/metrics" */
  readonly metricsPath?: string;
  /** Added to every series of the job (e.g. service="worker"). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PrometheusArgs {
  readonly owner: Ownership;
  /** The monitoring image (images/monitoring). */
  readonly image: pulumi.Input<string>;
  /** A routable network, for the UI and API published on 127.0.0.1. */
  readonly edgeNetworkName: pulumi.Input<string>;
  /** The internal network the targets live on. */
  readonly dataNetworkName: pulumi.Input<string>;
  readonly jobs: readonly ScrapeJob[];
  /** Recording and alerting rules as a Prometheus rules file (YAML). @default no rules */
  readonly rules?: string;
  /** Where alerts go (host:port of an Alertmanager on the networks above). @default none */
  readonly alertmanagers?: readonly string[];
  /** Seconds between scrapes and between rule evaluations: short, since a run lasts minutes. @default 5 */
  readonly scrapeIntervalSeconds?: number;
  /** The TSDB's tmpfs; it counts against the memory limit. @default 128 */
  readonly storeMiB?: number;
  /** @default 384 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

/** The configuration file the container runs with (JSON is YAML, but YAML reads better in `docker inspect`). */
export function prometheusConfig(jobs: readonly ScrapeJob[], intervalSeconds: number, alertmanagers: readonly string[]): string {
  return stringify({
    global: { scrape_interval: `${intervalSeconds}s`, scrape_timeout: `${Math.max(1, Math.min(intervalSeconds - 1, 4))}s`, evaluation_interval: `${intervalSeconds}s` },
    rule_files: ["/run/prometheus/rules.yml"],
    ...(alertmanagers.length > 0 ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [...alertmanagers] }] }] } } : {}),
    scrape_configs: jobs.map((j) => ({ job_name: j.job, metrics_path: j.metricsPath ?? "/metrics", static_configs: [{ targets: [...j.targets], labels: { ...(j.labels ?? {}) } }] })),
  });
}

/**
 * Prometheus on the testbed's networks, scraping the jobs it is given and evaluating its rules, on a tmpfs store.
 * Its UI and API listen on 127.0.0.1 only.
 */
export class Prometheus extends pulumi.ComponentResource {
  public readonly containerName: pulumi.Output<string>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];
  /** http://127.0.0.1:<port> */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:observability:Prometheus", name, {}, opts);
    const interval = args.scrapeIntervalSeconds ?? 5;
    const storeMiB = args.storeMiB ?? 128;
    const memoryMiB = args.memoryMiB ?? 384;
    if (!Number.isInteger(interval) || interval < 1 || interval > 60) throw new pulumi.ResourceError(`Prometheus ${name}: scrapeIntervalSeconds is ${interval}; give a whole number of seconds from 1 to 60`, this);
    if (memoryMiB < storeMiB + 128) throw new pulumi.ResourceError(`Prometheus ${name}: memoryMiB is ${memoryMiB}; give at least storeMiB + 128 (${storeMiB + 128}), since the tmpfs store counts against the memory limit`, this);
    const jobNames = args.jobs.map((j) => j.job);
    const twice = jobNames.find((j, i) => jobNames.indexOf(j) !== i);
    if (twice !== undefined) throw new pulumi.ResourceError(`Prometheus ${name}: scrape job "${twice}" is given twice; give each job a name of its own`, this);
    const empty = args.jobs.find((j) => j.targets.length === 0);
    if (empty) throw new pulumi.ResourceError(`Prometheus ${name}: scrape job "${empty.job}" has no targets; give at least one host:port`, this);

    const container = new docker.Container(
      `${name}-server`,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        image: args.image,
        hostname: "prometheus",
        entrypoints: ["/usr/bin/tini", "--", "/usr/local/bin/prometheus-entrypoint"],
        ...hardened({ user: PROMETHEUS_USER, memoryMiB, cpus: args.cpus ?? 0.5, tmpfs: { "/prometheus": tmpfsFor(PROMETHEUS_USER, storeMiB), "/run/prometheus": tmpfsFor(PROMETHEUS_USER, 1) } }),
        envs: [`PROMETHEUS_CONFIG=${prometheusConfig(args.jobs, interval, args.alertmanagers ?? [])}`, `PROMETHEUS_RULES=${args.rules ?? "groups: []"}`],
        networksAdvanced: [{ name: args.edgeNetworkName }, { name: args.dataNetworkName, aliases: ["prometheus"] }],
        ports: [{ internal: PROMETHEUS_PORT, ip: "127.0.0.1" }],
        // Every 10 s: each check is an exec the engine pays for, on the machine the system under test runs on.
        healthcheck: { tests: ["CMD-SHELL", `curl -fsS http://127.0.0.1:${PROMETHEUS_PORT}/-/ready >/dev/null || exit 1`], interval: "10s", timeout: "2s", startPeriod: "2s", retries: 6 },
        labels: labelList(ownershipLabels(args.owner, "prometheus")),
        wait: true,
        waitTimeout: 90,
      },
      { parent: this },
    );
    this.containerName = container.name;
    this.containerRefs = [containerRef(container, "prometheus")];
    this.url = container.ports.apply((ports) => {
      const external = (ports ?? []).find((p) => p.internal === PROMETHEUS_PORT)?.external;
      if (!external) throw new Error(`Prometheus ${name}: the engine reported no host port for ${PROMETHEUS_PORT}`);
      return `http://127.0.0.1:${external}`;
    });
    this.registerOutputs({ containerName: this.containerName, url: this.url });
  }
}
