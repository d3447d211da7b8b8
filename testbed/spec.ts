// The system description: one platform-neutral, typed object (TestbedSpec) saying what the testbed runs — the
// infrastructure (NATS with its streams and consumers, PostgreSQL with the databases the services need, the
// Toxiproxy links), the services of the system under test, how to drive it and how to judge it. It is written in
// TypeScript (a preset such as the reference workload) or as a YAML/JSON file, and checked by validate.ts before
// anything is created. The shapes are zod schemas, so the checks and the types cannot drift apart.
import { z } from "zod";

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const name = (what: string) => z.string().regex(NAME, `${what}: lower-case letters, digits and '-', starting with a letter, up to 31`);
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const port = int(1, 65_535);

const resources = (memoryMiB: number, cpus: number) => ({
  /** Memory limit; a tmpfs mount counts against it. */
  memoryMiB: int(32, 65_536).default(memoryMiB),
  cpus: z.number().min(0.05).max(64).default(cpus),
});

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const stream = z.strictObject({
  name: z.string().regex(STREAM_NAME, "letters, digits, '_' and '-', up to 64"),
  subjects: z.array(z.string().regex(/^[A-Za-z0-9_.>*-]{1,128}$/, "a NATS subject")).min(1),
  maxMsgs: int(1, 1e12).default(1_000_000),
  maxBytesMiB: int(1, 1_048_576).default(200),
  maxAgeSeconds: int(1, 31_536_000).default(86_400),
  duplicateWindowSeconds: int(1, 86_400).default(120),
  /** "new" rejects a publish on a full stream (backpressure); "old" silently evicts unconsumed work. */
  discard: z.enum(["new", "old"]).default("new"),
});

const consumer = z.strictObject({
  stream: z.string(),
  name: z.string().regex(STREAM_NAME, "letters, digits, '_' and '-', up to 64"),
  maxAckPending: int(1, 1_000_000).default(1000),
  ackWaitSeconds: int(1, 3600).default(30),
  /** -1: no limit (a message is redelivered until it is acked). */
  maxDeliver: z.union([z.literal(-1), int(1, 1000)], { error: "-1 (no limit) or 1 to 1000" }).default(10),
});

const nats = z.strictObject({
  /** 1, or 3 with cluster routes so streams can be R3. */
  replicas: z.union([z.literal(1), z.literal(3)], { error: "1 or 3 (a JetStream cluster needs a majority)" }).default(1),
  /** JetStream's store, a tmpfs mount. */
  storeMiB: int(16, 65_536).default(256),
  ...resources(512, 1),
  streams: z.array(stream).default([]),
  consumers: z.array(consumer).default([]),
});

const database = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "a PostgreSQL name: lower-case letters, digits and '_'"),
  /** Folder of versioned migrations (NNNN_*.sql), applied in order before any service starts. */
  migrations: z.string().optional(),
});

const postgres = z.strictObject({
  storage: z.enum(["tmpfs", "volume"]).default("tmpfs"),
  storageMiB: int(64, 1_048_576).default(512),
  maxConnections: int(10, 5000).default(100),
  sharedBuffersMiB: int(16, 65_536).default(128),
  ...resources(768, 1),
  /** Databases the services use; "postgres" always exists. */
  databases: z.array(database).default([]),
});

/** Values wired from the testbed; they follow chaos.proxy through Toxiproxy where a link is proxied. */
export const WIRED = ["nats.url", "postgres.host", "postgres.port", "postgres.user", "postgres.password", "postgres.dsn", "tls.ca", "alertmanager.url", "traces.url"] as const;
/**
 * Wired values that are secrets: they reach a container as a file (readable only by its user), never as a
 * variable, which `docker inspect` and the pod spec would show. The variable, named *_FILE, holds the path.
 */
export const SECRET_WIRED: readonly WiredValue["from"][] = ["postgres.password", "postgres.dsn"];
/** Wired values delivered as files (the variable, named *_FILE, holds the path): the secrets, and the testbed's CA certificate. */
export const FILE_WIRED: readonly WiredValue["from"][] = [...SECRET_WIRED, "tls.ca"];
/** The file a secret wired value is written to, inside the container. */
export const secretFileName = (from: string) => from.replace(".", "-");
/**
 * The stored secrets a platform keeps (a Secret's keys on Kubernetes, files beside a Compose file): the DSN
 * differs by the way a service reaches PostgreSQL, directly or through Toxiproxy.
 */
export const SECRET_SOURCES = ["postgres-password", "postgres-dsn-direct", "postgres-dsn-proxied", "tls-ca"] as const;
export type SecretSource = (typeof SECRET_SOURCES)[number];

/** What a service connects to NATS or PostgreSQL with: with TLS on, such a service must verify the servers. */
const CONNECTING: readonly WiredValue["from"][] = ["nats.url", "postgres.host", "postgres.dsn"];

/**
 * The services that connect to NATS or PostgreSQL but do not wire tls.ca, so could not verify the servers of a
 * testbed with TLS (where NATS requires TLS and PostgreSQL takes TCP clients over TLS only).
 */
export function servicesNotVerifying(spec: Pick<TestbedSpec, "services">): string[] {
  const wires = (s: ServiceSpec, from: readonly WiredValue["from"][]) => Object.values(s.env).some((v) => typeof v !== "string" && from.includes(v.from));
  return spec.services.filter((s) => wires(s, CONNECTING) && !wires(s, ["tls.ca"])).map((s) => s.name);
}

/** The error a testbed with TLS gives for services that cannot verify its servers; "" when there are none. */
export function tlsWiringProblem(spec: Pick<TestbedSpec, "services">): string {
  const unverified = servicesNotVerifying(spec);
  if (unverified.length === 0) return "";
  return `TLS is on (cp3:tls.enabled, the default of ci stacks), but service(s) ${unverified.join(", ")} connect to NATS or PostgreSQL without wiring tls.ca: add a variable such as CA_FILE: {from: tls.ca} and verify the servers with that CA (it is empty on stacks without TLS), or turn TLS off (cp3:tls.enabled false; \`cp3 run --tls off\`)`;
}

/**
 * A service's secret files, file name -> the stored secret it holds: the one decision every platform takes from
 * here. Without TLS there is no CA file (tls.ca wires an empty value); with TLS, a DSN names the CA file
 * (sslrootcert), so a service given a DSN gets that file too.
 */
export function secretFilesOf(service: Pick<ServiceSpec, "env">, postgresProxied: boolean, tls = false): Record<string, SecretSource> {
  const sourceOf = (from: WiredValue["from"]): SecretSource =>
    from === "postgres.password" ? "postgres-password" : from === "tls.ca" ? "tls-ca" : postgresProxied ? "postgres-dsn-proxied" : "postgres-dsn-direct";
  const wired = Object.values(service.env).flatMap((v) => (typeof v !== "string" && FILE_WIRED.includes(v.from) && (tls || v.from !== "tls.ca") ? [v.from] : []));
  if (tls && wired.includes("postgres.dsn")) wired.push("tls.ca");
  return Object.fromEntries(wired.map((from) => [secretFileName(from), sourceOf(from)]));
}
const wired = z.strictObject({
  from: z.union([z.enum(WIRED), z.string().regex(/^service:[a-z][a-z0-9-]{0,30}\.url$/)], { error: `one of ${WIRED.join(", ")}, or service:<name>.url` }),
});

const check = z.union([
  z.strictObject({ http: z.strictObject({ port, path: z.string().startsWith("/") }) }),
  z.strictObject({ tcp: z.strictObject({ port }) }),
  z.strictObject({ command: z.array(z.string()).min(1) }),
], { error: "{http: {port, path}}, {tcp: {port}} or {command: [...]}" });

const image = z.union([
  /** Built from a Dockerfile; relative contexts are resolved against the description's folder. */
  z.strictObject({ build: z.strictObject({ context: z.string(), dockerfile: z.string().default("Dockerfile"), args: z.record(z.string(), z.string()).default({}) }) }),
  /** An image already in the local engine (nothing is pulled). */
  z.strictObject({ local: z.string().min(1) }),
  /** The reference workload's flow images (two stages: the base image, then this flow's code). */
  z.strictObject({ flow: name("flow") }),
], { error: "{build: {context, dockerfile?, args?}}, {local: <image in the engine>} or {flow: <reference workload flow>}" });

const service = z.strictObject({
  name: name("service name"),
  /** Labels chaos experiments select targets by, besides the name. */
  roles: z.array(name("role")).default([]),
  image,
  replicas: int(1, 16).default(1),
  /** Replaces the image's CMD. */
  command: z.array(z.string()).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name"), z.union([z.string(), wired], { error: `a string, or {from: ${WIRED.join(" | ")} | service:<name>.url}` })).default({}),
  ports: z
    .array(
      z.strictObject({
        port,
        /** The entry: published on 127.0.0.1 and driven by the load. At most one service has one. */
        entry: z.boolean().default(false),
      }),
    )
    .default([]),
  /**
   * Where Prometheus scrapes the service (observability on), and the names of its RED metrics: a request counter
   * with a status label and a duration histogram in seconds, both with the Prometheus client libraries' defaults.
   */
  metrics: z
    .strictObject({
      port,
      path: z.string().startsWith("/").default("/metrics"),
      requestsTotal: z.string().regex(METRIC_NAME, "a Prometheus metric name").default("http_requests_total"),
      durationSeconds: z.string().regex(METRIC_NAME, "a Prometheus histogram's name (without _bucket)").default("http_request_duration_seconds"),
      /** The request counter's label holding the HTTP status code. */
      statusLabel: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a Prometheus label name").default("status"),
    })
    .optional(),
  /** Liveness: the container is restarted when it fails. */
  health: check.optional(),
  /** Readiness: the service counts as up (and dependants start) only when it passes. */
  readiness: check.optional(),
  ...resources(256, 0.5),
  /** Writable tmpfs mounts (the root filesystem is read-only). */
  tmpfs: z.array(z.strictObject({ path: z.string().startsWith("/"), sizeMiB: int(1, 65_536).default(64) })).default([]),
  /**
   * Writable paths kept when the process is killed and restarted (a named volume per instance on Docker, removed
   * with the stack; an emptyDir on Kubernetes). The image should make each directory owned by the service's user.
   */
  volumes: z.array(z.strictObject({ path: z.string().startsWith("/"), sizeMiB: int(1, 65_536).default(64) })).max(8).default([]),
  /**
   * The service reads its secret files (the PostgreSQL password) only when it starts, not at each new
   * connection: `cp3 rotate-secret` restarts it once the server has the new password. Leave it false for a
   * service that re-reads the file, so a rotation costs it nothing.
   */
  secretsReadAtStart: z.boolean().default(false),
  /** Numeric uid:gid; containers never run as root. */
  user: z.string().regex(/^[1-9][0-9]*:[0-9]+$/, "a numeric uid:gid, not 0").default("10002:10002"),
  /** Started after these are healthy: nats, postgres, migrations, or another service's name. */
  dependsOn: z.array(z.string()).default([]),
  /** "edge" reaches the host's published port; "data" has no route out. */
  networks: z.array(z.enum(["edge", "data"])).min(1).default(["data"]),
  /** dev stacks: folders bind-mounted read-only over the image's code, for hot reload. */
  hotReload: z.array(z.strictObject({ source: z.string(), target: z.string().startsWith("/") })).default([]),
});

const request = z.strictObject({
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  path: z.string().startsWith("/"),
  headers: z.record(z.string(), z.string()).default({}),
  idempotencyHeader: z.string().optional(),
  body: z.string().optional(),
});

const oracle = z.union([
  /** An SQL query returning `key, effect_count` (and optionally `state`) for every record the system holds. */
  z.strictObject({ sql: z.strictObject({ database: z.string(), query: z.string().min(1) }) }),
  /** An HTTP endpoint of a service answering the same rows as JSON: [{"key": …, "effect_count": …}]. */
  z.strictObject({ http: z.strictObject({ service: z.string(), port, path: z.string().startsWith("/") }) }),
], { error: "{sql: {database, query}} or {http: {service, port, path}}" });

const probe = z.union([
  z.strictObject({ http: z.strictObject({ service: z.string(), port, path: z.string().startsWith("/"), status: int(100, 599).default(200), maxLatencyMs: int(1, 600_000).default(2000) }) }),
  z.strictObject({ consumerLag: z.strictObject({ stream: z.string(), consumer: z.string(), max: int(0, 1e9) }) }),
  z.strictObject({ clientErrorRate: z.strictObject({ windowSeconds: int(1, 3600).default(10), max: z.number().min(0).max(1) }) }),
], { error: "{http: {service, port, path, status?, maxLatencyMs?}}, {consumerLag: {stream, consumer, max}} or {clientErrorRate: {windowSeconds?, max}}" });

/**
 * A panel of the system's own metrics (business metrics) for the report and the Grafana export: PromQL queries,
 * `$__rate_interval` standing for the rate window (Grafana's variable; the report puts its own window there),
 * `{{label}}` in a legend for a series' label value.
 */
const panel = z.strictObject({
  title: z.string().min(1).max(120),
  unit: z.string().max(40).default(""),
  queries: z.array(z.strictObject({ legend: z.string().min(1).max(80), expr: z.string().min(1).max(2000) })).min(1).max(8),
});

const objective = z.number().min(0.5).max(0.99999);
/**
 * Service level objectives of the entry service, from its RED metrics (it needs `metrics`): the share of requests
 * not answered 5xx, and the share answered within `thresholdMs` (a bucket bound of its duration histogram).
 * Optionally accept-to-processed: the share of records processed within `thresholdMs` of their acceptance, from a
 * histogram in seconds that `service` exports (its `metrics`), `thresholdMs` one of its bucket bounds.
 * components/alert-rules.ts makes recording rules and multi-window, multi-burn-rate alerts of them.
 */
const slos = z.strictObject({
  availability: z.strictObject({ objective: objective.default(0.99) }).default({ objective: 0.99 }),
  latency: z.strictObject({ thresholdMs: int(1, 600_000).default(250), objective: objective.default(0.99) }).default({ thresholdMs: 250, objective: 0.99 }),
  acceptToProcessed: z
    .strictObject({
      service: z.string(),
      histogram: z.string().regex(METRIC_NAME, "a Prometheus metric name (without _bucket)"),
      thresholdMs: int(1, 3_600_000),
      objective: objective.default(0.99),
    })
    .optional(),
});

/**
 * The spans every processed record's trace must hold, each named by the service that sends it (its OpenTelemetry
 * `service.name`, Jaeger's service) and its name. The run's trace coverage is the share of the sampled, processed
 * records whose trace has them all. Empty: coverage is not measured.
 */
const traces = z.strictObject({
  spans: z.array(z.strictObject({ service: z.string().min(1).max(80), name: z.string().min(1).max(200) })).max(32).default([]),
});

export const testbedSpecSchema = z.strictObject({
  /** The system's name, in labels and reports. */
  name: name("system name"),
  nats: nats.default(() => nats.parse({})),
  postgres: postgres.default(() => postgres.parse({})),
  toxiproxy: z
    .strictObject({
      /** Service → dependency links that go through Toxiproxy (chaos.proxy on); default: every service's NATS and PostgreSQL links. */
      links: z.array(z.strictObject({ from: z.string(), to: z.enum(["nats", "postgres"]) })).optional(),
      ...resources(128, 0.5),
    })
    .default(() => ({ memoryMiB: 128, cpus: 0.5 })),
  services: z.array(service).min(1),
  drive: z.strictObject({ entry: z.string(), request, healthPath: z.string().startsWith("/").default("/readyz"), timeoutSeconds: int(1, 600).default(10) }),
  /** Without an oracle the integrity step says "not checked", and the verdict shows it. */
  oracle: oracle.optional(),
  /** Steady-state probes for chaos experiments. */
  probes: z.array(probe).default([]),
  slos: slos.default(() => slos.parse({})),
  /** Panels of the system's own metrics, beside the RED, JetStream and PostgreSQL panels every testbed gets. */
  panels: z.array(panel).default([]),
  traces: traces.default(() => traces.parse({})),
});

/** A description as written (defaults may be left out). */
export type TestbedSpecInput = z.input<typeof testbedSpecSchema>;
/** A description after validation, every default filled in. */
export type TestbedSpec = z.output<typeof testbedSpecSchema>;
export type ServiceSpec = TestbedSpec["services"][number];
export type ImageSpec = ServiceSpec["image"];
export type CheckSpec = NonNullable<ServiceSpec["health"]>;
export type WiredValue = z.output<typeof wired>;
export type OracleSpec = NonNullable<TestbedSpec["oracle"]>;
export type ProbeSpec = TestbedSpec["probes"][number];
export type PanelSpecInput = TestbedSpec["panels"][number];
export type TraceSpanSpec = TestbedSpec["traces"]["spans"][number];
