// The whole testbed from one system description: networks, NATS with JetStream on tmpfs, PostgreSQL with the
// databases and migrations the services need, Toxiproxy on the links chaos may fault, the images, and the
// services of the system under test, hardened, started in dependency order. Its outputs (TestbedOutputs) are the
// one shape chaos, integrity, the driver, the bench and the tests read.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { secretFileName, secretFilesOf, tlsWiringProblem, type SecretSource, type ServiceSpec, type TestbedSpec, type TraceSpanSpec, type WiredValue } from "../testbed/spec";
import { declareImages, type ImageRequest } from "./images";
import type { HostBuildOffer } from "./local-image";
import { Verification, type VerifySettings } from "./verification";
import { JetStream } from "./jetstream";
import type { Ownership } from "./labels";
import { Migration } from "./migration";
import { Nats, NATS_CLIENT_PORT, NATS_MONITOR_PORT, natsHost } from "./nats";
import { alertRules } from "./alert-rules";
import { ALERTMANAGER_URL } from "./alertmanager";
import { JAEGER_MAX_TRACES, JAEGER_OTLP_URL } from "./jaeger";
import { dashboardSourceOf, Observability, type DashboardSource } from "./observability";
import { TestbedNetwork } from "./network";
import { Postgres, POSTGRES_PORT } from "./postgres";
import { RandomSecret } from "./random-secret";
import { secretPath, TLS_DSN_QUERY } from "./secret-files";
import { testbedServerNames, TlsAuthority } from "./tls-authority";
import { Service, type ContainerCheck } from "./service";
import { Toxiproxy, type ProxySpec } from "./toxiproxy";

export interface TestbedArgs {
  readonly owner: Ownership;
  /** The system under test and its infrastructure, validated (testbed/validate.ts). */
  readonly spec: TestbedSpec;
  /** The Debian root image every image starts from (`cp3 setup` imports it). */
  readonly rootImage: string;
  /** Services reach NATS and PostgreSQL through Toxiproxy, so latency, timeouts and resets can be injected. @default true */
  readonly chaosProxy?: boolean;
  /** Host port of the entry service on 127.0.0.1: 0 lets the engine pick. @default 0 */
  readonly entryHostPort?: number;
  /** A base image from the user's registry for the reference flows; empty builds it locally. @default "" */
  readonly baseImage?: string;
  /** The host's CA bundle and proxy settings, offered to every image build (never stored in an image). @default nothing */
  readonly hostOffer?: HostBuildOffer;
  /**
   * NATS clients and PostgreSQL TCP clients use TLS, verifying the stack's own CA (TlsAuthority): the servers
   * require it, the reference flows and the jobs verify the server's name, and every service that connects to
   * them must wire `tls.ca` (checked before anything is created). Without TLS `tls.ca` wires an empty value. @default false
   */
  readonly tls?: boolean;
  /** The PostgreSQL superuser password (after `cp3 rotate-secret`); keep it a Pulumi secret. @default one generated per stack */
  readonly postgresPassword?: pulumi.Input<string>;
  /**
   * Prometheus scraping every service with `metrics` in the description, NATS and PostgreSQL through their
   * exporters (components/observability.ts); undefined runs no monitoring. @default undefined
   */
  readonly observability?: TestbedObservability;
  /** Prove the testbed inside the deployment (components/verification.ts): the update fails unless READY. @default no proof */
  readonly verify?: VerifySettings;
}

/** The monitoring's settings (stacks: `cp3:observability`). */
export interface TestbedObservability {
  /** @default 5 */
  readonly scrapeIntervalSeconds?: number;
  /** Prometheus's memory limit. @default 384 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
  /** Jaeger and the services' spans; undefined runs none. @default undefined */
  readonly tracing?: TestbedTracing;
}

/** Tracing's settings (stacks: `cp3:observability.tracing`, `traceSampleEvery`, `jaegerMemoryMiB`). */
export interface TestbedTracing {
  /** One request in this many is sent sampled by the load generator. @default 1 */
  readonly sampleEvery?: number;
  /** Jaeger's memory limit. @default 1024 */
  readonly memoryMiB?: number;
}

/** What the driver needs of the description to drive and judge the system (the rest is in the containers). */
export interface SystemOutputs {
  name: string;
  drive: TestbedSpec["drive"];
  oracle: TestbedSpec["oracle"] | null;
  probes: TestbedSpec["probes"];
}

/** Every image a testbed runs: the infrastructure's by role, the migrations' by database, the services' by name. */
export interface TestbedImageRefs {
  nats: string;
  postgres: string;
  toxiproxy: string;
  migrate: Record<string, string>;
  services: Record<string, string>;
  /** Prometheus and the exporters, when observability is on. */
  monitoring?: string;
}

/** What a testbed exposes; `pulumi stack output` and the Automation API give exactly this shape. */
export interface TestbedOutputs {
  /** Where the testbed runs: Docker containers (this Testbed) or Kubernetes pods (components/kubernetes/testbed.ts). */
  platform: "docker" | "kubernetes";
  /** The Kubernetes namespace holding the whole testbed; "" on Docker. */
  namespace: string;
  system: SystemOutputs;
  /** The entry service on 127.0.0.1. */
  gatewayUrl: string;
  natsUrl: string;
  natsMonitorUrl: string;
  postgresDsn: string;
  toxiproxyUrl: string;
  chaosProxies: { nats: string[]; postgres: string; enabled: boolean };
  /** docker: the edge and data bridge networks' names. kubernetes: "" for both (one pod network; the edge/data split is the namespace's NetworkPolicies). */
  networks: { edge: string; data: string };
  /**
   * docker: container names, the infrastructure's, then each service's under its name (one per replica).
   * kubernetes: workload names (StatefulSet, Deployment), one per role or service (nats: ["nats"]), whose pods
   * carry the label app.kubernetes.io/name=<workload> in `namespace`.
   */
  containers: { nats: string[]; postgres: string; toxiproxy: string } & Record<string, string | string[]>;
  /** Service names by role (a service's name is also one of its roles). */
  roles: Record<string, string[]>;
  /** The first consumer, for the consumer-lag probe. */
  stream: { name: string; consumer: string };
  /** The local image refs the stack built or runs (the Compose export takes them from here). */
  images: TestbedImageRefs;
  /** Whether clients reach NATS and PostgreSQL over TLS, and the CA (PEM) that verifies them; "" without TLS. */
  tls: { enabled: boolean; caCert: string };
  /** Prometheus on 127.0.0.1 and how many targets it scrapes; "" and 0 without observability. */
  observability: {
    enabled: boolean;
    prometheusUrl: string;
    targets: number;
    scrapeIntervalSeconds: number;
    dashboard: DashboardSource;
    /** The alerts Prometheus evaluates (components/alert-rules.ts), and why there are no SLO alerts when there are none. */
    alerts: string[];
    sloSkipped: string;
    /** The sink Alertmanager notifies, on 127.0.0.1 (GET /notifications); "" without observability. */
    alertSinkUrl: string;
    /** Jaeger's query API on 127.0.0.1, the load's sampling and the spans each record's trace must hold. */
    traces: TracesOutputs;
  };
}

export interface TracesOutputs {
  enabled: boolean;
  /** http://127.0.0.1:<port> (GET /api/traces/<id>); "" without tracing. */
  queryUrl: string;
  /** One request in this many is sent sampled; 0 without tracing. */
  sampleEvery: number;
  /** Traces Jaeger keeps (the oldest go first); 0 without tracing. */
  maxTraces: number;
  spans: TraceSpanSpec[];
}

export const NO_TRACES: TracesOutputs = { enabled: false, queryUrl: "", sampleEvery: 0, maxTraces: 0, spans: [] };

/** The images a description needs, whatever it runs on: flows, migrations by database, its own builds by service. */
export function imageRequestFor(spec: TestbedSpec, rootImage: string, baseOverride: string, hostOffer: HostBuildOffer, observability = false): ImageRequest {
  return {
    observability,
    rootImage,
    baseOverride,
    hostOffer,
    flows: spec.services.flatMap((s) => ("flow" in s.image ? [s.image.flow] : [])),
    migrations: Object.fromEntries(spec.postgres.databases.flatMap((d) => (d.migrations ? [[d.name, d.migrations]] : []))),
    builds: Object.fromEntries(spec.services.flatMap((s) => ("build" in s.image ? [[s.name, s.image.build]] : []))),
  };
}

const HOST_PORTS = { nats: 24222, monitor: 28222, postgres: 25432 };
/** Toxiproxy's listener for the services' link to PostgreSQL. */
const POSTGRES_PROXY_PORT = 15432;

export class Testbed extends pulumi.ComponentResource {
  /** Each output on its own (postgresDsn is a secret), so a program exports them as they are. */
  public readonly outputs: { [K in keyof TestbedOutputs]: pulumi.Output<TestbedOutputs[K]> };

  constructor(name: string, args: TestbedArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:index:Testbed", name, {}, opts);
    const { spec, owner } = args;
    const chaosProxy = args.chaosProxy ?? true;
    const entryHostPort = args.entryHostPort ?? 0;
    if (!Number.isInteger(entryHostPort) || entryHostPort < 0 || entryHostPort > 65_535) throw new pulumi.ResourceError(`Testbed ${name}: entryHostPort is ${entryHostPort}; give 0 (engine-picked) or a port up to 65535`, this);
    if (!/^cp3\/debian:/.test(args.rootImage)) throw new pulumi.ResourceError(`Testbed ${name}: rootImage is "${args.rootImage}"; give the Debian root cp3 setup imported (cp3/debian:<suite>-<hash>)`, this);
    const tlsProblem = args.tls ? tlsWiringProblem(spec) : "";
    if (tlsProblem !== "") throw new pulumi.ResourceError(`Testbed ${name}: ${tlsProblem}`, this);
    const sampleEvery = args.observability?.tracing?.sampleEvery ?? 1;
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1 || sampleEvery > 1_000_000) {
      throw new pulumi.ResourceError(`Testbed ${name}: observability.tracing.sampleEvery is ${sampleEvery}; give a whole number from 1 (every request sampled) to 1000000`, this);
    }
    const parent = { parent: this };

    const images = declareImages(imageRequestFor(spec, args.rootImage, args.baseImage ?? "", args.hostOffer ?? {}, args.observability !== undefined), this);

    // The entry's network, and the data network with no route out.
    const edge = new TestbedNetwork("edge", { owner }, parent);
    const data = new TestbedNetwork("data", { owner, internal: true }, parent);

    // The stack's CA and one server certificate for every name a client uses.
    const authority = args.tls ? new TlsAuthority("tls", { commonName: `cp3 testbed CA ${owner.stack}`, serverNames: testbedServerNames(spec.nats.replicas) }, parent) : undefined;
    const serverTls = authority ? { cert: authority.serverCert, key: authority.serverKey, ca: authority.caCert } : undefined;
    const nats = new Nats("nats", { owner, image: images.nats, networkName: data.networkName, replicas: spec.nats.replicas, storeMiB: spec.nats.storeMiB, memoryMiB: spec.nats.memoryMiB, cpus: spec.nats.cpus, tls: serverTls, holderImage: args.rootImage }, parent);
    const password = args.postgresPassword === undefined ? new RandomSecret("postgres-password", { bytes: 24 }, parent) : { value: pulumi.secret(args.postgresPassword) };
    const pg = spec.postgres;
    const postgres = new Postgres("postgres", { owner, image: images.postgres, networkName: data.networkName, password: password.value, tls: serverTls, holderImage: args.rootImage, storage: pg.storage, storageMiB: pg.storageMiB, maxConnections: pg.maxConnections, sharedBuffersMiB: pg.sharedBuffersMiB, memoryMiB: pg.memoryMiB, cpus: pg.cpus }, parent);

    // Link proxies (chaos targets) and host-access proxies (never faulted), all through one Toxiproxy.
    const natsProxies: ProxySpec[] = nats.clientUrls.map((_, i) => ({ name: `nats-${i}`, listenPort: 14222 + i, upstream: `${natsHost(i)}:${NATS_CLIENT_PORT}`, publish: false }));
    const proxies: ProxySpec[] = [
      ...natsProxies,
      { name: "postgres", listenPort: POSTGRES_PROXY_PORT, upstream: `postgres:${POSTGRES_PORT}`, publish: false },
      { name: "host-nats", listenPort: HOST_PORTS.nats, upstream: `${natsHost(0)}:${NATS_CLIENT_PORT}`, publish: true },
      { name: "host-nats-monitor", listenPort: HOST_PORTS.monitor, upstream: `${natsHost(0)}:${NATS_MONITOR_PORT}`, publish: true },
      { name: "host-postgres", listenPort: HOST_PORTS.postgres, upstream: `postgres:${POSTGRES_PORT}`, publish: true },
    ];
    const toxiproxy = new Toxiproxy("toxiproxy", { owner, image: images.toxiproxy, edgeNetworkName: edge.networkName, dataNetworkName: data.networkName, proxies, memoryMiB: spec.toxiproxy.memoryMiB, cpus: spec.toxiproxy.cpus }, parent);

    // One set-up job per consumer (and its stream); the reference workload's single one keeps the name jetstream.
    const jetstreamDone = spec.nats.consumers.map((c) => {
      const s = spec.nats.streams.find((x) => x.name === c.stream)!;
      const job = new JetStream(
        spec.nats.consumers.length === 1 ? "jetstream" : `jetstream-${c.name}`,
        { owner, image: images.nats, networkName: data.networkName, natsUrls: nats.clientUrls, serverIds: nats.containerIds, stream: { ...s, replicas: spec.nats.replicas }, consumer: c, tlsCa: authority?.caCert, holderImage: args.rootImage },
        { parent: this, dependsOn: [nats] },
      );
      return job.done;
    });
    const migrationsDone = Object.entries(images.migrate).map(([database, image]) => {
      const migration = new Migration(
        database === "postgres" ? "migration" : `migration-${database}`,
        { owner, image, networkName: data.networkName, host: postgres.host, password: password.value, tlsCa: authority?.caCert, holderImage: args.rootImage, database, serverId: postgres.container.id },
        { parent: this, dependsOn: [postgres] },
      );
      return migration.done;
    });

    // Wired values: a proxied link goes through Toxiproxy when chaos.proxy is on.
    const proxied = (service: string, to: "nats" | "postgres") => chaosProxy && (spec.toxiproxy.links === undefined || spec.toxiproxy.links.some((l) => l.from === service && l.to === to));
    const postgresEndpoint = (service: ServiceSpec): [string, string] => (proxied(service.name, "postgres") ? ["toxiproxy", String(POSTGRES_PROXY_PORT)] : ["postgres", String(POSTGRES_PORT)]);
    const wiredValue = (service: ServiceSpec, w: WiredValue): pulumi.Input<string> => {
      const [pgHost, pgPort] = postgresEndpoint(service);
      switch (w.from) {
        case "nats.url":
          return (proxied(service.name, "nats") ? natsProxies.map((p) => `nats://toxiproxy:${p.listenPort}`) : nats.clientUrls).join(",");
        case "postgres.host":
          return pgHost;
        case "postgres.port":
          return pgPort;
        case "postgres.user":
          return "postgres";
        // Files: the variable (validated to be *_FILE) holds the path; secretFilesOf writes the file.
        case "postgres.password":
        case "postgres.dsn":
          return secretPath(secretFileName(w.from));
        case "tls.ca":
          return args.tls ? secretPath(secretFileName(w.from)) : "";
        // Where a service sends the alert it raises before stopping on a fatal error; empty without monitoring.
        case "alertmanager.url":
          return args.observability ? ALERTMANAGER_URL : "";
        // Where a service sends its spans (OTLP over HTTP); empty without tracing.
        case "traces.url":
          return args.observability?.tracing ? JAEGER_OTLP_URL : "";
        default: {
          const other = spec.services.find((s) => `service:${s.name}.url` === w.from)!;
          return `http://${other.name}:${other.ports[0]!.port}`;
        }
      }
    };

    // With TLS a DSN asks libpq-style clients for verify-full against the CA file beside it.
    const dsnTls = args.tls ? TLS_DSN_QUERY : "";
    const secretValues: Record<SecretSource, pulumi.Input<string>> = {
      "postgres-password": password.value,
      "postgres-dsn-direct": pulumi.interpolate`postgres://postgres:${password.value}@postgres:${POSTGRES_PORT}/postgres${dsnTls}`,
      "postgres-dsn-proxied": pulumi.interpolate`postgres://postgres:${password.value}@toxiproxy:${POSTGRES_PROXY_PORT}/postgres${dsnTls}`,
      "tls-ca": authority?.caCert ?? "",
    };
    const serviceSecretFiles = (service: ServiceSpec) => Object.fromEntries(Object.entries(secretFilesOf(service, proxied(service.name, "postgres"), args.tls)).map(([file, source]) => [file, secretValues[source]]));

    // Services in dependency order: a service waits for the gates it names (NATS set up, migrations applied,
    // other services created healthy, since the engine waits for each container's health check).
    const imageOf = (s: ServiceSpec): pulumi.Input<string> => ("flow" in s.image ? images.flows[s.image.flow]! : "build" in s.image ? images.builds[s.name]! : s.image.local);
    const services = new Map<string, Service>();
    const declare = (s: ServiceSpec, chain: string[]): Service => {
      const existing = services.get(s.name);
      if (existing) return existing;
      if (chain.includes(s.name)) throw new pulumi.ResourceError(`Testbed ${name}: services depend on each other in a cycle: ${[...chain, s.name].join(" -> ")}`, this);
      const after: pulumi.Input<string>[] = [];
      for (const d of s.dependsOn) {
        if (d === "nats") after.push(...jetstreamDone);
        else if (d === "migrations") after.push(...migrationsDone);
        else if (d !== "postgres") after.push(declare(spec.services.find((x) => x.name === d)!, [...chain, s.name]).containerNames.apply((n) => n.join(",")));
      }
      const entry = s.ports.find((p) => p.entry);
      const check: ContainerCheck | undefined = s.readiness ?? s.health;
      const image = imageOf(s);
      const service = new Service(
        s.name,
        {
          owner,
          image,
          replicas: s.replicas,
          command: s.command,
          env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, typeof v === "string" ? v : wiredValue(s, v)])),
          entry: entry ? { port: entry.port, hostPort: entryHostPort } : undefined,
          check,
          networkNames: s.networks.map((n) => (n === "edge" ? edge.networkName : data.networkName)),
          after,
          tmpfs: Object.fromEntries(s.tmpfs.map((t) => [t.path, t.sizeMiB])),
          volumes: Object.fromEntries(s.volumes.map((v) => [v.path, v.sizeMiB])),
          user: s.user,
          secretFiles: serviceSecretFiles(s),
          secretsReadAtStart: s.secretsReadAtStart,
          holderImage: args.rootImage,
          mounts: s.hotReload,
          memoryMiB: s.memoryMiB,
          cpus: s.cpus,
        },
        { parent: this, dependsOn: s.dependsOn.includes("postgres") ? [postgres] : [] },
      );
      services.set(s.name, service);
      return service;
    };
    for (const s of spec.services) declare(s, []);

    const instancesOf = (s: ServiceSpec) => (s.replicas === 1 ? [s.name] : Array.from({ length: s.replicas }, (_, i) => `${s.name}-${i}`));
    const o = args.observability;
    const scrapeIntervalSeconds = o?.scrapeIntervalSeconds ?? 5;
    const rules = alertRules(spec, scrapeIntervalSeconds);
    const monitoring = o
      ? new Observability(
          "observability",
          {
            owner, image: images.monitoring!, holderImage: args.rootImage, edgeNetworkName: edge.networkName, dataNetworkName: data.networkName,
            natsMonitorUrls: nats.clientUrls.map((_, i) => `http://${natsHost(i)}:${NATS_MONITOR_PORT}`),
            postgres: { host: "postgres", port: POSTGRES_PORT, password: password.value },
            ...(authority ? { tlsCa: authority.caCert } : {}),
            services: spec.services.flatMap((s) => (s.metrics ? [{ name: s.name, instances: instancesOf(s), port: s.metrics.port, path: s.metrics.path }] : [])),
            containers: [...[...services.values()].flatMap((s) => s.containerRefs), ...nats.containerRefs, ...postgres.containerRefs, ...toxiproxy.containerRefs],
            rules: rules.yaml,
            ...(o.scrapeIntervalSeconds !== undefined ? { scrapeIntervalSeconds: o.scrapeIntervalSeconds } : {}),
            ...(o.memoryMiB !== undefined ? { memoryMiB: o.memoryMiB } : {}),
            ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
            ...(o.tracing ? { tracing: o.tracing.memoryMiB !== undefined ? { memoryMiB: o.tracing.memoryMiB } : {} } : {}),
          },
          { parent: this, dependsOn: [nats, postgres] },
        )
      : undefined;

    const entryService = services.get(spec.drive.entry)!;
    const host = (proxy: string) => toxiproxy.hostEndpoints.apply((e) => e[proxy]!);
    const roles: Record<string, string[]> = {};
    for (const s of spec.services) for (const role of new Set([s.name, ...s.roles])) (roles[role] ??= []).push(s.name);
    const firstConsumer = spec.nats.consumers[0];
    const serviceContainers = pulumi.all(Object.fromEntries([...services].map(([n, s]) => [n, s.containerNames])));
    this.outputs = {
      platform: pulumi.output("docker" as const),
      namespace: pulumi.output(""),
      system: pulumi.output({ name: spec.name, drive: spec.drive, oracle: spec.oracle ?? null, probes: spec.probes }),
      gatewayUrl: entryService.url.apply((u) => u ?? ""),
      natsUrl: pulumi.interpolate`nats://${host("host-nats")}`,
      natsMonitorUrl: pulumi.interpolate`http://${host("host-nats-monitor")}`,
      postgresDsn: pulumi.secret(pulumi.interpolate`postgres://postgres:${password.value}@${host("host-postgres")}/postgres`),
      toxiproxyUrl: toxiproxy.apiUrl,
      chaosProxies: pulumi.output({ nats: natsProxies.map((p) => p.name), postgres: "postgres", enabled: chaosProxy }),
      networks: pulumi.all([edge.networkName, data.networkName]).apply(([e, d]) => ({ edge: e, data: d })),
      containers: pulumi.all([serviceContainers, nats.containerNames, postgres.containerName, toxiproxy.containerName]).apply(([byService, natsNames, postgresName, toxiproxyName]): TestbedOutputs["containers"] => ({ ...(byService as Record<string, string[]>), nats: [...natsNames], postgres: postgresName, toxiproxy: toxiproxyName })),
      roles: pulumi.output(roles),
      stream: pulumi.output({ name: firstConsumer?.stream ?? "", consumer: firstConsumer?.name ?? "" }),
      tls: authority ? authority.caCert.apply((caCert) => ({ enabled: true, caCert })) : pulumi.output({ enabled: false, caCert: "" }),
      images: pulumi.output({ nats: images.nats, postgres: images.postgres, toxiproxy: images.toxiproxy, migrate: images.migrate, services: Object.fromEntries(spec.services.map((s) => [s.name, imageOf(s)])), ...(images.monitoring ? { monitoring: images.monitoring } : {}) }),
      observability: monitoring
        ? pulumi.all([monitoring.prometheusUrl, monitoring.alertSinkUrl, monitoring.jaegerUrl]).apply(([prometheusUrl, alertSinkUrl, jaegerUrl]) => ({
            enabled: true, prometheusUrl, alertSinkUrl, targets: monitoring.targetCount, scrapeIntervalSeconds, dashboard: dashboardSourceOf(spec), alerts: rules.alerts, sloSkipped: rules.sloSkipped ?? "",
            traces: o?.tracing ? { enabled: true, queryUrl: jaegerUrl, sampleEvery: o.tracing.sampleEvery ?? 1, maxTraces: JAEGER_MAX_TRACES, spans: spec.traces.spans } : NO_TRACES,
          }))
        : pulumi.output({ enabled: false, prometheusUrl: "", targets: 0, scrapeIntervalSeconds: 0, dashboard: dashboardSourceOf(spec), alerts: [], sloSkipped: "", alertSinkUrl: "", traces: NO_TRACES }),
    };
    if (args.verify) {
      // Everything but the secret DSN, which the proof does not use and the Stash would keep in the state.
      const plain: Record<string, pulumi.Output<unknown>> = Object.fromEntries(Object.entries(this.outputs).filter(([key]) => key !== "postgresDsn"));
      const fingerprint = createHash("sha256").update(JSON.stringify(spec)).digest("hex");
      new Verification("verification", { stack: owner.stack, outputs: pulumi.output(plain), fingerprint, settings: args.verify }, { parent: this, dependsOn: [...services.values()] });
    }
    this.registerOutputs(this.outputs);
  }
}
