import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { hardened, tmpfsFor } from "./hardening";
import { containerRef, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";

export const JAEGER_OTLP_HTTP_PORT = 4318;
export const JAEGER_QUERY_PORT = 16686;
const JAEGER_HEALTH_PORT = 13133;
/** Jaeger's own metrics (the collector's telemetry: spans received, refused, dropped). */
export const JAEGER_METRICS_PORT = 8888;
/** Where the services send their spans (OTLP over HTTP), on the data network. */
export const JAEGER_OTLP_URL = `http://jaeger:${JAEGER_OTLP_HTTP_PORT}`;
const JAEGER_USER = "10008:10008";
/** Traces Jaeger keeps by default; a run's coverage only looks at records whose traces can still be there. */
export const JAEGER_MAX_TRACES = 100_000;

export interface JaegerArgs {
  readonly owner: Ownership;
  /** The monitoring image (images/monitoring), which carries the jaeger binary. */
  readonly image: pulumi.Input<string>;
  /** A routable network, for the query API and UI published on 127.0.0.1. */
  readonly edgeNetworkName: pulumi.Input<string>;
  /** The internal network the services send spans on, to `jaeger`. */
  readonly dataNetworkName: pulumi.Input<string>;
  /** Traces kept in memory; the oldest go first. @default 100000 */
  readonly maxTraces?: number;
  /** About 4 KiB per trace of seven spans was measured, so the default holds the default traces. @default 1024 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

/**
 * The configuration: OTLP over HTTP in, memory storage, the query API and UI, the health check, and the
 * collector's own metrics for Prometheus. Nothing else listens (no Jaeger or Zipkin receivers, no sampling
 * server: the load generator decides the sampling).
 */
export function jaegerConfig(maxTraces: number): string {
  const on = (port: number) => ({ endpoint: `0.0.0.0:${port}` });
  return stringify({
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: JAEGER_METRICS_PORT } } } }] },
        logs: { level: "info" },
      },
    },
    extensions: {
      jaeger_query: { storage: { traces: "memstore" }, http: on(JAEGER_QUERY_PORT), grpc: on(16685) },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
      healthcheckv2: { use_v2: true, http: on(JAEGER_HEALTH_PORT) },
    },
    receivers: { otlp: { protocols: { http: on(JAEGER_OTLP_HTTP_PORT) } } },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
  });
}

/** Jaeger all-in-one (v1.76.0, built from its Go module by `cp3 setup`): the spans of every service, in memory. */
export class Jaeger extends pulumi.ComponentResource {
  /** http://jaeger:4318 on the data network: the OTLP endpoint for the services. */
  public readonly otlpUrl: string;
  /** http://127.0.0.1:<port>: the query API (/api/traces/<id>) and the UI. */
  public readonly queryUrl: pulumi.Output<string>;
  public readonly containerName: pulumi.Output<string>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];

  constructor(name: string, args: JaegerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:observability:Jaeger", name, {}, opts);
    const maxTraces = args.maxTraces ?? JAEGER_MAX_TRACES;
    const memoryMiB = args.memoryMiB ?? 1024;
    const cpus = args.cpus ?? 0.5;
    if (!Number.isInteger(maxTraces) || maxTraces < 1000 || maxTraces > 10_000_000) throw new pulumi.ResourceError(`Jaeger ${name}: maxTraces is ${maxTraces}; give a whole number from 1000 to 10000000`, this);
    if (!Number.isInteger(memoryMiB) || memoryMiB < 128 || memoryMiB > 16_384) throw new pulumi.ResourceError(`Jaeger ${name}: memoryMiB is ${memoryMiB}; give a whole number from 128 to 16384`, this);
    if (!(cpus >= 0.1 && cpus <= 8)) throw new pulumi.ResourceError(`Jaeger ${name}: cpus is ${cpus}; give a number from 0.1 to 8`, this);
    // The configuration comes in the environment; `jaeger validate` checks it before the server starts on it.
    const script = ['printf "%s\\n" "$JAEGER_CONFIG" > /run/jaeger/config.yaml', "jaeger validate --config /run/jaeger/config.yaml >&2", "exec jaeger --config /run/jaeger/config.yaml"].join(" && ");
    const container = new docker.Container(
      name,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        image: args.image,
        hostname: "jaeger",
        command: ["/usr/bin/tini", "--", "sh", "-c", script],
        ...hardened({ user: JAEGER_USER, memoryMiB, cpus, tmpfs: { "/run/jaeger": tmpfsFor(JAEGER_USER, 1) } }),
        envs: [`JAEGER_CONFIG=${jaegerConfig(maxTraces)}`],
        networksAdvanced: [{ name: args.edgeNetworkName }, { name: args.dataNetworkName, aliases: ["jaeger"] }],
        ports: [{ internal: JAEGER_QUERY_PORT, ip: "127.0.0.1" }],
        // Every 10 s, like the rest of the monitoring: each check is an exec on the machine under test.
        healthcheck: { tests: ["CMD-SHELL", `curl -fsS http://127.0.0.1:${JAEGER_HEALTH_PORT}/status >/dev/null || exit 1`], interval: "10s", timeout: "2s", startPeriod: "2s", retries: 6 },
        labels: labelList(ownershipLabels(args.owner, "jaeger")),
        wait: true,
        waitTimeout: 60,
      },
      { parent: this },
    );
    this.otlpUrl = JAEGER_OTLP_URL;
    this.queryUrl = container.ports.apply((ports) => {
      const external = (ports ?? []).find((p) => p.internal === JAEGER_QUERY_PORT)?.external;
      if (!external) throw new Error(`Jaeger ${name}: the engine reported no host port for ${JAEGER_QUERY_PORT}`);
      return `http://127.0.0.1:${external}`;
    });
    this.containerName = container.name;
    this.containerRefs = [containerRef(container, "jaeger")];
    this.registerOutputs({ queryUrl: this.queryUrl, containerName: this.containerName });
  }
}
