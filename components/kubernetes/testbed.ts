// The whole testbed from one system description, on Kubernetes: the same TestbedSpec and the same TestbedOutputs
// as the Docker Testbed (components/testbed.ts). Images are built by the local Docker engine exactly as there and
// imported into the node's containerd; everything else lives in one namespace per stack, Pod Security
// "restricted", wired by Service ClusterIPs (the cluster may have no DNS), default-deny NetworkPolicies, and the
// host's way in on NodePorts (the cluster publishes them on 127.0.0.1 only).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { secretFileName, secretFilesOf, tlsWiringProblem, type SecretSource, type ServiceSpec, type TestbedSpec, type WiredValue } from "../../testbed/spec";
import { declareImages } from "../images";
import type { HostBuildOffer } from "../local-image";
import type { Ownership } from "../labels";
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, natsHost } from "../nats";
import { POSTGRES_PORT } from "../postgres";
import { RandomSecret } from "../random-secret";
import { secretPath, TLS_CA_FILE, TLS_DSN_QUERY } from "../secret-files";
import { testbedServerNames, TlsAuthority } from "../tls-authority";
import { imageRequestFor, NO_TRACES, type TestbedOutputs } from "../testbed";
import { TOXIPROXY_API_PORT } from "../toxiproxy";
import { JetStreamJob } from "./jetstream-job";
import { MigrationJob } from "./migration-job";
import { TestbedNamespace } from "./namespace";
import { KubernetesNats, NATS_TLS_SECRET, NATS_WORKLOAD } from "./nats";
import { allowedPaths, TestbedNetworkPolicies } from "./network-policies";
import { NodeImage } from "./node-image";
import { DNS_LABEL, LABEL_VALUE, objectMeta } from "./pod";
import { KubernetesPostgres, POSTGRES_WORKLOAD } from "./postgres";
import { KubernetesService } from "./service";
import { KubernetesToxiproxy, TOXIPROXY_WORKLOAD, type KubernetesProxySpec } from "./toxiproxy";
import { dashboardSourceOf } from "../observability";

/** The Secret whose keys the services' secret files come from. */
const SERVICE_SECRETS = "service-secrets";

export interface KubernetesTestbedArgs {
  readonly owner: Ownership;
  /** The system under test and its infrastructure, validated (testbed/validate.ts). */
  readonly spec: TestbedSpec;
  /** The Debian root image every image starts from (`cp3 setup` imports it into the Docker engine). */
  readonly rootImage: string;
  /** The node's containerd socket (the cluster's own containerd, not Docker's), where images are imported. */
  readonly containerdAddress: string;
  /** Services reach NATS and PostgreSQL through Toxiproxy, so latency, timeouts and resets can be injected. @default true */
  readonly chaosProxy?: boolean;
  /** A base image from the user's registry for the reference flows; empty builds it locally. @default "" */
  readonly baseImage?: string;
  /** The host's CA bundle and proxy settings, offered to every image build (never stored in an image). @default nothing */
  readonly hostOffer?: HostBuildOffer;
  /** The namespace everything goes into, created by the testbed. @default `cp3-<owner.stack>` */
  readonly namespace?: string;
  /** NodePort of the entry service (the cluster publishes it on 127.0.0.1): 0 lets the cluster pick. @default 0 */
  readonly entryNodePort?: number;
  /** The PostgreSQL superuser password; keep it a Pulumi secret. @default one generated per stack */
  readonly postgresPassword?: pulumi.Input<string>;
  /**
   * NATS clients and PostgreSQL TCP clients use TLS, verifying the stack's own CA, as on Docker. Clients then
   * reach the servers by the names the certificate holds (nats-<i>, postgres, toxiproxy), which each pod's
   * /etc/hosts maps to the ClusterIPs (hostAliases; the cluster may have no DNS). @default false
   */
  readonly tls?: boolean;
}

/** Host-access proxies' ports in Toxiproxy's pod, as on Docker. */
const HOST_PORTS = { nats: 24222, monitor: 28222, postgres: 25432 };

/** Job names: `<prefix>` for the reference's single one, else `<prefix>-<key>` made a DNS label, or by index when that fails. */
function jobNames(prefix: string, keys: string[], single: (key: string) => boolean): string[] {
  const named = keys.map((k) => (single(k) ? prefix : `${prefix}-${k.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "")}`));
  const ok = named.every((n, i) => DNS_LABEL.test(n) && n.length <= 52 && named.indexOf(n) === i);
  return ok ? named : keys.map((_, i) => `${prefix}-${i}`);
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * One testbed on a Kubernetes cluster. Give it the cluster's provider as `opts.provider` (a k8s.Provider from the
 * cluster's kubeconfig): every child inherits it; without one the testbed refuses to start rather than use
 * whatever cluster the ambient kubeconfig points at.
 */
export class KubernetesTestbed extends pulumi.ComponentResource {
  /** Each output on its own (postgresDsn is a secret), so a program exports them as they are. */
  public readonly outputs: { [K in keyof TestbedOutputs]: pulumi.Output<TestbedOutputs[K]> };

  constructor(name: string, args: KubernetesTestbedArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:Testbed", name, {}, opts);
    const { spec, owner } = args;
    const chaosProxy = args.chaosProxy ?? true;
    const entryNodePort = args.entryNodePort ?? 0;
    const tls = args.tls ?? false;
    const namespace = args.namespace ?? `cp3-${owner.stack}`;
    const fail = (message: string) => new pulumi.ResourceError(`KubernetesTestbed ${name}: ${message}`, this);

    // Everything is checked before the first child exists.
    if (!this.getProvider("kubernetes::Provider")) throw fail("no Kubernetes provider; give opts.provider (a k8s.Provider created from the cluster's kubeconfig)");
    if (!/^cp3\/debian:/.test(args.rootImage)) throw fail(`rootImage is "${args.rootImage}"; give the Debian root cp3 setup imported (cp3/debian:<suite>-<hash>)`);
    if (typeof args.containerdAddress !== "string" || !/^(unix:\/\/)?\/\S+$/.test(args.containerdAddress)) throw fail(`containerdAddress is "${String(args.containerdAddress)}"; give the node containerd's socket path (absolute, e.g. /run/cp3-k8s/containerd.sock)`);
    if (!DNS_LABEL.test(namespace)) {
      throw fail(args.namespace === undefined ? `namespace: the default "${namespace}" (cp3-<owner.stack>) is not a DNS label; give namespace (lower-case letters, digits and '-', up to 63)` : `namespace is "${namespace}"; give a DNS label (lower-case letters, digits and '-', up to 63)`);
    }
    if (!LABEL_VALUE.test(owner.stack)) throw fail(`owner.stack is "${owner.stack}"; a label value is at most 63 letters, digits, '-', '_' or '.'`);
    if (!LABEL_VALUE.test(owner.run)) throw fail(`owner.run is "${owner.run}"; a label value is at most 63 letters, digits, '-', '_' or '.'`);
    const tlsProblem = tls ? tlsWiringProblem(spec) : "";
    if (tlsProblem !== "") throw fail(tlsProblem);
    if (!Number.isInteger(entryNodePort) || (entryNodePort !== 0 && (entryNodePort < 30000 || entryNodePort > 32767))) throw fail(`entryNodePort is ${entryNodePort}; give 0 (cluster-picked) or a port from 30000 to 32767`);

    const jetstreamJobs = jobNames("jetstream", spec.nats.consumers.map((c) => c.name), () => spec.nats.consumers.length === 1);
    const databases = spec.postgres.databases.filter((d) => d.migrations).map((d) => d.name);
    const migrationJobs = jobNames("migration", databases, (d) => d === "postgres");
    const taken = new Set([NATS_WORKLOAD, NATS_TLS_SECRET, POSTGRES_WORKLOAD, `${POSTGRES_WORKLOAD}-password`, SERVICE_SECRETS, TOXIPROXY_WORKLOAD, `${TOXIPROXY_WORKLOAD}-host`, ...[0, 1, 2].map((i) => `${NATS_WORKLOAD}-${i}`), ...jetstreamJobs, ...migrationJobs]);
    spec.services.forEach((s, i) => {
      if (taken.has(s.name) || taken.has(`${s.name}-entry`) || s.name.endsWith("-entry")) throw fail(`spec.services[${i}].name "${s.name}" is taken on Kubernetes by the testbed's own objects (${[...taken].join(", ")}, <service>-entry); give another name`);
      if (s.hotReload.length > 0) throw fail(`spec.services[${i}].hotReload: folders from the host need hostPath volumes, which the restricted Pod Security profile refuses; leave hotReload empty on Kubernetes`);
    });
    const parent = { parent: this };

    // Images: built by the local Docker engine as on Docker, then one import into the node per distinct image.
    const images = declareImages(imageRequestFor(spec, args.rootImage, args.baseImage ?? "", args.hostOffer ?? {}), this);
    const nodeImages = new Map<string, pulumi.Output<string>>();
    const onNode = (key: string, ref: pulumi.Input<string>): pulumi.Output<string> => {
      let image = nodeImages.get(key);
      if (!image) {
        image = new NodeImage(`node-${key}`, { ref, containerdAddress: args.containerdAddress }, parent).ref;
        nodeImages.set(key, image);
      }
      return image;
    };
    const localKeys = [...new Set(spec.services.flatMap((s) => ("local" in s.image ? [s.image.local] : [])))];
    const imageOf = (s: ServiceSpec): pulumi.Output<string> =>
      "flow" in s.image
        ? onNode(`flow-${s.image.flow}`, images.flows[s.image.flow]!)
        : "build" in s.image
          ? onNode(`service-${s.name}`, images.builds[s.name]!)
          : onNode(`local-${localKeys.indexOf(s.image.local)}`, s.image.local);

    const ns = new TestbedNamespace("namespace", { owner, name: namespace }, parent).name;
    const base = { owner, namespace: ns };

    // The stack's CA and one server certificate for every name a client uses, as on Docker.
    const authority = tls ? new TlsAuthority("tls", { commonName: `cp3 testbed CA ${owner.stack}`, serverNames: testbedServerNames(spec.nats.replicas) }, parent) : undefined;
    const serverTls = authority ? { cert: authority.serverCert, key: authority.serverKey, ca: authority.caCert } : undefined;
    const nats = new KubernetesNats("nats", { ...base, image: onNode("nats", images.nats), replicas: spec.nats.replicas, storeMiB: spec.nats.storeMiB, memoryMiB: spec.nats.memoryMiB, cpus: spec.nats.cpus, ...(serverTls ? { tls: serverTls } : {}) }, parent);
    const password = args.postgresPassword === undefined ? new RandomSecret("postgres-password", { bytes: 24 }, parent) : { value: pulumi.secret(args.postgresPassword) };
    const pg = spec.postgres;
    const postgres = new KubernetesPostgres(
      "postgres",
      { ...base, image: onNode("postgres", images.postgres), password: password.value, ...(serverTls ? { tls: serverTls } : {}), storage: pg.storage, storageMiB: pg.storageMiB, maxConnections: pg.maxConnections, sharedBuffersMiB: pg.sharedBuffersMiB, memoryMiB: pg.memoryMiB, cpus: pg.cpus },
      parent,
    );

    // Link proxies (chaos targets) and host-access proxies (never faulted), all through one Toxiproxy, as on Docker.
    const natsProxies: KubernetesProxySpec[] = nats.serverIps.map((ip, i) => ({ name: `nats-${i}`, listenPort: 14222 + i, upstream: pulumi.interpolate`${ip}:${NATS_CLIENT_PORT}`, publish: false }));
    const proxies: KubernetesProxySpec[] = [
      ...natsProxies,
      { name: "postgres", listenPort: 15432, upstream: pulumi.interpolate`${postgres.host}:${POSTGRES_PORT}`, publish: false },
      { name: "host-nats", listenPort: HOST_PORTS.nats, upstream: pulumi.interpolate`${nats.serverIps[0]!}:${NATS_CLIENT_PORT}`, publish: true },
      { name: "host-nats-monitor", listenPort: HOST_PORTS.monitor, upstream: pulumi.interpolate`${nats.serverIps[0]!}:${NATS_MONITOR_PORT}`, publish: true },
      { name: "host-postgres", listenPort: HOST_PORTS.postgres, upstream: pulumi.interpolate`${postgres.host}:${POSTGRES_PORT}`, publish: true },
    ];
    const toxiproxy = new KubernetesToxiproxy("toxiproxy", { ...base, image: onNode("toxiproxy", images.toxiproxy), proxies, memoryMiB: spec.toxiproxy.memoryMiB, cpus: spec.toxiproxy.cpus }, parent);

    // With TLS, clients name the servers as their certificate does; each pod's /etc/hosts maps those names to the
    // ClusterIPs. Without, clients use the ClusterIPs themselves.
    const hostAliases = tls
      ? pulumi.all([toxiproxy.clusterIp, postgres.host, ...nats.serverIps]).apply(([proxyIp, postgresIp, ...natsIps]) => [
          { ip: proxyIp, hostnames: ["toxiproxy"] },
          { ip: postgresIp, hostnames: ["postgres"] },
          ...natsIps.map((ip, i) => ({ ip, hostnames: [natsHost(i)] })),
        ])
      : undefined;
    const toxiproxyHost: pulumi.Output<string> = tls ? pulumi.output("toxiproxy") : toxiproxy.clusterIp;
    const postgresHost: pulumi.Output<string> = tls ? pulumi.output("postgres") : postgres.host;
    const natsUrls: pulumi.Output<string>[] = tls ? nats.serverIps.map((_, i) => pulumi.output(`nats://${natsHost(i)}:${NATS_CLIENT_PORT}`)) : nats.clientUrls;
    const clientPods = hostAliases ? { hostAliases } : {};

    // One set-up Job per consumer (and its stream), one migration Job per database with migrations; the provider
    // waits for each to complete.
    const jetstreamDone = spec.nats.consumers.map((c, i) => {
      const s = spec.nats.streams.find((x) => x.name === c.stream)!;
      return new JetStreamJob(jetstreamJobs[i]!, { ...base, workload: jetstreamJobs[i]!, image: onNode("nats", images.nats), natsUrls, stream: { ...s, replicas: spec.nats.replicas }, consumer: c, ...clientPods, ...(nats.tlsSecretName ? { tlsCaSecret: nats.tlsSecretName } : {}) }, { parent: this, dependsOn: [nats.statefulSet] }).job;
    });
    const migrationsDone = databases.map(
      (database, i) =>
        new MigrationJob(migrationJobs[i]!, { ...base, workload: migrationJobs[i]!, image: onNode(database === "postgres" ? "migrate" : `migrate-${database}`, images.migrate[database]!), host: postgresHost, passwordSecret: postgres.secretName, database, tls, ...clientPods }, { parent: this, dependsOn: [postgres.statefulSet] }).job,
    );

    const proxied = (service: string, to: "nats" | "postgres") => chaosProxy && (spec.toxiproxy.links === undefined || spec.toxiproxy.links.some((l) => l.from === service && l.to === to));
    new TestbedNetworkPolicies(
      "network-policies",
      {
        ...base,
        paths: allowedPaths({
          spec,
          proxied,
          workloads: { nats: NATS_WORKLOAD, postgres: POSTGRES_WORKLOAD, toxiproxy: TOXIPROXY_WORKLOAD, jetstreamJobs, migrationJobs },
          toxiproxyPorts: { nats: natsProxies.map((p) => p.listenPort), postgres: 15432, api: TOXIPROXY_API_PORT, hostAccess: Object.values(HOST_PORTS) },
        }),
      },
      parent,
    );

    // A service's ClusterIP, which exists only once that service is declared: service:<n>.url may point forwards.
    const addresses = new Map(spec.services.map((s) => [s.name, deferred<pulumi.Output<string>>()]));
    const postgresEndpoint = (service: ServiceSpec): [pulumi.Output<string>, string] => (proxied(service.name, "postgres") ? [toxiproxyHost, "15432"] : [postgresHost, String(POSTGRES_PORT)]);
    // The services' secrets, each a key of one Secret mounted as files (the same names as on Docker).
    const dsn = (host: pulumi.Output<string>, port: string) => pulumi.secret(pulumi.interpolate`postgres://postgres:${password.value}@${host}:${port}/postgres${tls ? TLS_DSN_QUERY : ""}`);
    const serviceSecrets = new k8s.core.v1.Secret(
      "service-secrets",
      {
        metadata: objectMeta(owner, ns, SERVICE_SECRETS, SERVICE_SECRETS),
        type: "Opaque",
        stringData: {
          "postgres-password": pulumi.secret(password.value),
          "postgres-dsn-direct": dsn(postgresHost, String(POSTGRES_PORT)),
          "postgres-dsn-proxied": dsn(toxiproxyHost, "15432"),
          ...(authority ? { [TLS_CA_FILE]: authority.caCert } : {}),
        } satisfies Partial<Record<SecretSource, pulumi.Input<string>>>,
      },
      parent,
    );
    // The same wiring as on Docker, by ClusterIP; secrets only ever as files.
    const wiredValue = (service: ServiceSpec, w: WiredValue): pulumi.Input<string> => {
      const [pgHost, pgPort] = postgresEndpoint(service);
      switch (w.from) {
        case "nats.url":
          return proxied(service.name, "nats") ? pulumi.all(natsProxies.map((p) => pulumi.interpolate`nats://${toxiproxyHost}:${p.listenPort}`)).apply((u) => u.join(",")) : pulumi.all(natsUrls).apply((u) => u.join(","));
        case "postgres.host":
          return pgHost;
        case "postgres.port":
          return pgPort;
        case "postgres.user":
          return "postgres";
        case "postgres.password":
        case "postgres.dsn":
          return secretPath(secretFileName(w.from));
        // Without TLS the CA is empty, as on Docker.
        case "tls.ca":
          return tls ? secretPath(secretFileName(w.from)) : "";
        // No monitoring on Kubernetes yet: a service skips the alert it would send before stopping, and its spans.
        case "alertmanager.url":
        case "traces.url":
          return "";
        default: {
          const other = spec.services.find((s) => `service:${s.name}.url` === w.from)!;
          return pulumi.interpolate`http://${pulumi.output(addresses.get(other.name)!.promise)}:${other.ports[0]!.port}`;
        }
      }
    };

    // Services in dependency order: a Deployment waits for the Jobs and workloads it names (the provider waits
    // for each to be complete or ready).
    const services = new Map<string, KubernetesService>();
    const declare = (s: ServiceSpec, chain: string[]): KubernetesService => {
      const existing = services.get(s.name);
      if (existing) return existing;
      if (chain.includes(s.name)) throw fail(`services depend on each other in a cycle: ${[...chain, s.name].join(" -> ")}`);
      const after: pulumi.Resource[] = [];
      for (const d of s.dependsOn) {
        if (d === "nats") after.push(nats.statefulSet, ...jetstreamDone);
        else if (d === "migrations") after.push(...migrationsDone);
        else if (d === "postgres") after.push(postgres.statefulSet);
        else after.push(declare(spec.services.find((x) => x.name === d)!, [...chain, s.name]).deployment);
      }
      const env: Record<string, pulumi.Input<string>> = {};
      for (const [k, v] of Object.entries(s.env)) env[k] = typeof v === "string" ? v : wiredValue(s, v);
      // Secret key -> file name (the keys are the stored secrets' names).
      const secretFiles = Object.fromEntries(Object.entries(secretFilesOf(s, proxied(s.name, "postgres"), tls)).map(([file, source]) => [source, file]));
      const entry = s.ports.find((p) => p.entry);
      const service = new KubernetesService(
        s.name,
        {
          ...base,
          image: imageOf(s),
          replicas: s.replicas,
          command: s.command,
          env,
          secretFiles: { secretName: serviceSecrets.metadata.name, files: secretFiles },
          ...clientPods,
          ports: s.ports.map((p) => p.port),
          entry: entry ? { port: entry.port, nodePort: entryNodePort } : undefined,
          readiness: s.readiness ?? s.health,
          liveness: s.health,
          tmpfs: Object.fromEntries(s.tmpfs.map((t) => [t.path, t.sizeMiB])),
          volumes: Object.fromEntries(s.volumes.map((v) => [v.path, v.sizeMiB])),
          user: s.user,
          memoryMiB: s.memoryMiB,
          cpus: s.cpus,
          after,
        },
        // Not dependsOn: a component's dependsOn holds back its Services too, and with service:<n>.url pointing
        // both ways the two would wait for each other.
        parent,
      );
      services.set(s.name, service);
      addresses.get(s.name)!.resolve(service.clusterIp);
      return service;
    };
    for (const s of spec.services) declare(s, []);

    const entryService = services.get(spec.drive.entry)!;
    const host = (proxy: string) => toxiproxy.hostEndpoints.apply((e) => e[proxy]!);
    const roles: Record<string, string[]> = {};
    for (const s of spec.services) for (const role of new Set([s.name, ...s.roles])) (roles[role] ??= []).push(s.name);
    const firstConsumer = spec.nats.consumers[0];
    const serviceWorkloads = pulumi.all(Object.fromEntries([...services].map(([n, s]) => [n, s.workloadName.apply((w) => [w])])));
    this.outputs = {
      platform: pulumi.output("kubernetes" as const),
      tls: authority ? authority.caCert.apply((caCert) => ({ enabled: true, caCert })) : pulumi.output({ enabled: false, caCert: "" }),
      // Monitoring runs on Docker only so far (issue 14).
      observability: pulumi.output({ enabled: false, prometheusUrl: "", targets: 0, scrapeIntervalSeconds: 0, dashboard: dashboardSourceOf(spec), alerts: [], sloSkipped: "", alertSinkUrl: "", traces: NO_TRACES }),
      namespace: ns,
      system: pulumi.output({ name: spec.name, drive: spec.drive, oracle: spec.oracle ?? null, probes: spec.probes }),
      gatewayUrl: entryService.url.apply((u) => u ?? ""),
      natsUrl: pulumi.interpolate`nats://${host("host-nats")}`,
      natsMonitorUrl: pulumi.interpolate`http://${host("host-nats-monitor")}`,
      postgresDsn: pulumi.secret(pulumi.interpolate`postgres://postgres:${password.value}@${host("host-postgres")}/postgres`),
      toxiproxyUrl: toxiproxy.apiUrl,
      chaosProxies: pulumi.output({ nats: natsProxies.map((p) => p.name), postgres: "postgres", enabled: chaosProxy }),
      networks: pulumi.output({ edge: "", data: "" }),
      containers: pulumi
        .all([serviceWorkloads, nats.workloadName, postgres.workloadName, toxiproxy.workloadName])
        .apply(([byService, natsName, postgresName, toxiproxyName]): TestbedOutputs["containers"] => ({ ...(byService as Record<string, string[]>), nats: [natsName], postgres: postgresName, toxiproxy: toxiproxyName })),
      roles: pulumi.output(roles),
      stream: pulumi.output({ name: firstConsumer?.stream ?? "", consumer: firstConsumer?.name ?? "" }),
      images: pulumi.output({
        nats: images.nats,
        postgres: images.postgres,
        toxiproxy: images.toxiproxy,
        migrate: images.migrate,
        services: Object.fromEntries(spec.services.map((s) => [s.name, "flow" in s.image ? images.flows[s.image.flow]! : "build" in s.image ? images.builds[s.name]! : s.image.local])),
      }),
    };
    this.registerOutputs(this.outputs);
  }
}
