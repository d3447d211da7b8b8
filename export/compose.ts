// The Compose export: the same testbed as a stack's, as one Docker Compose file. A pure function from the system
// description, the stack's settings and its outputs (the image refs its last `up` built) to a Compose object,
// and a YAML writer for it. It mirrors what the components declare — the networks, NATS with its rendered
// configuration and tmpfs store, PostgreSQL, Toxiproxy and its proxies, the one-shot jobs, the services with
// their wired values, the hardening — and tests/unit/compose-export.test.ts holds it against the Pulumi program
// under mocks, container by container, so the two cannot drift apart silently.
//
// Compose reads the file; these choices keep it readable by Debian bookworm's docker-compose 1.29.2 (PyYAML,
// YAML 1.1; the Compose Specification, without `version:` and without a top-level `name:`) and by Compose v2.
import { Document } from "yaml";
import { keptVolumeName } from "../components/labels";
import { LOG_OPTS, MAX_RESTARTS, NPROC_LIMIT, tmpfsFor } from "../components/hardening";
import { consumerConfig, streamConfig } from "../components/jetstream";
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, natsHost, renderNatsConfig } from "../components/nats";
import { PASSWORD_FILE, POSTGRES_PORT } from "../components/postgres";
import { secretPath, TLS_CA_FILE, TLS_DSN_QUERY, TLS_SERVER_CERT_FILE, TLS_SERVER_KEY_FILE } from "../components/secret-files";
import type { TestbedImageRefs } from "../components/testbed";
import { TOXIPROXY_API_PORT } from "../components/toxiproxy";
import type { TestbedConfig } from "../stacks/config";
import { secretFileName, secretFilesOf, tlsWiringProblem, type CheckSpec, type SecretSource, type ServiceSpec, type TestbedSpec, type WiredValue } from "../testbed/spec";
import { UsageError } from "../lib/usage-error";

/** The folder beside the Compose file that holds the secret files it mounts (Compose's file-based secrets). */
export const SECRETS_FOLDER = "secrets";

// The components' fixed values that they keep to themselves (their users, ports and folders). A change there
// shows as a difference in the unit test that compares this export with the program under mocks.
const USERS = { nats: "10001:10001", postgres: "10003:10003", toxiproxy: "10004:10004" } as const;
const PGDATA = "/var/lib/postgresql/data";
const NATS_STORE_DIR = "/data";
const PROXY_PORTS = { nats: 14222, postgres: 15432 } as const;
const HOST_PROXIES = [
  { name: "host-nats", listenPort: 24222, upstream: `${natsHost(0)}:${NATS_CLIENT_PORT}` },
  { name: "host-nats-monitor", listenPort: 28222, upstream: `${natsHost(0)}:${NATS_MONITOR_PORT}` },
  { name: "host-postgres", listenPort: 25432, upstream: `postgres:${POSTGRES_PORT}` },
];
const JOB = { memoryMiB: 256, cpus: 0.5, tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" } } as const;

export type Condition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface ComposeSecret {
  source: string;
  target: string;
}

export interface ComposeHealthcheck {
  test: string[];
  interval: string;
  timeout: string;
  start_period: string;
  retries: number;
}

export type ComposeMount = { type: "bind"; source: string; target: string; read_only: true } | { type: "volume"; source: string; target: string };

export interface ComposeService {
  image: string;
  hostname: string;
  entrypoint?: string[];
  command?: string[];
  environment: Record<string, string>;
  user: string;
  read_only: true;
  cap_drop: ["ALL"];
  security_opt: ["no-new-privileges:true"];
  mem_limit: string;
  memswap_limit: string;
  cpus: number;
  ulimits: { nproc: { soft: number; hard: number } };
  tmpfs: string[];
  shm_size?: string;
  volumes?: ComposeMount[];
  restart: "no" | `on-failure:${number}`;
  /** Absent: the image's own HEALTHCHECK applies. */
  healthcheck?: ComposeHealthcheck;
  depends_on?: Record<string, { condition: Condition }>;
  /** Secret files mounted in /run/secrets/<target>. */
  secrets?: ComposeSecret[];
  networks: Record<string, { aliases?: string[] }>;
  ports?: string[];
  logging: { driver: "json-file"; options: Record<string, string> };
  labels: Record<string, string>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<"edge" | "data", { driver: "bridge"; internal?: true; labels: Record<string, string> }>;
  volumes?: Record<string, { labels: Record<string, string> }>;
  /** Each secret's file, beside the Compose file (composeSecretFiles gives the contents). */
  secrets: Record<string, { file: string }>;
}

export interface ComposeExportInput {
  /** The stack the export is made from (a label on everything, never `cp3.stack`: the sweep must not take it). */
  stack: string;
  /** The system description, validated, as the stack's program reads it. */
  spec: TestbedSpec;
  /** The stack's settings this depends on: whether links go through Toxiproxy, the entry's host port, and TLS. */
  settings: Pick<TestbedConfig, "chaos" | "gateway" | "tls">;
  /** The stack's outputs: the image refs its last `up` built or ran. */
  outputs: { images: TestbedImageRefs };
  /** The entry's host port on 127.0.0.1, instead of the stack's `cp3:gateway.hostPort`; 0 lets the engine pick. */
  entryHostPort?: number;
  /**
   * Which images carry a HEALTHCHECK of their own (ref -> yes), as the engine reports them. Without it, only
   * the reference workload's flow images count as having one.
   */
  imageHealthchecks?: Record<string, boolean>;
}

// Secrets are files (secrets/<name> beside the Compose file), mounted in /run/secrets, never variables.

/** A CA and the server certificate its servers present (PEM), for an export with TLS. */
export interface ComposeTls {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

/**
 * The content of every secret file the Compose file may mount: from the stack's PostgreSQL password, and with
 * TLS the CA, the servers' certificate and key, and DSNs that ask for verify-full.
 */
export function composeSecretFiles(password: string, tls?: ComposeTls): Record<string, string> {
  const query = tls ? TLS_DSN_QUERY : "";
  return {
    "postgres-password": password,
    "postgres-dsn-direct": `postgres://postgres:${password}@postgres:${POSTGRES_PORT}/postgres${query}`,
    "postgres-dsn-proxied": `postgres://postgres:${password}@toxiproxy:${PROXY_PORTS.postgres}/postgres${query}`,
    ...(tls ? { [TLS_CA_FILE]: tls.caCert, [TLS_SERVER_CERT_FILE]: tls.serverCert, [TLS_SERVER_KEY_FILE]: tls.serverKey } : {}),
  } satisfies Partial<Record<SecretSource, string>>;
}

const mountSecret = (source: string, target = source): ComposeSecret => ({ source, target });

const mib = (n: number) => `${n}m`;
const tmpfsList = (tmpfs: Record<string, string>) => Object.entries(tmpfs).map(([p, options]) => `${p}:${options}`);

/** The hardening every container gets (components/hardening.ts), in Compose's words. */
function hardened(a: { user: string; memoryMiB: number; cpus: number; tmpfs: Record<string, string>; job?: boolean }) {
  return {
    user: a.user,
    read_only: true as const,
    cap_drop: ["ALL"] as ["ALL"],
    security_opt: ["no-new-privileges:true"] as ["no-new-privileges:true"],
    mem_limit: mib(a.memoryMiB),
    // No swap beyond the memory limit.
    memswap_limit: mib(a.memoryMiB),
    cpus: a.cpus,
    ulimits: { nproc: { soft: NPROC_LIMIT, hard: NPROC_LIMIT } },
    tmpfs: tmpfsList(a.tmpfs),
    restart: a.job ? ("no" as const) : (`on-failure:${MAX_RESTARTS}` as const),
    logging: { driver: "json-file" as const, options: { ...LOG_OPTS } },
  };
}

/** The engine's check of a description's service, as components/service.ts gives it. */
function healthcheck(c: CheckSpec): ComposeHealthcheck {
  const test =
    "http" in c
      ? ["CMD-SHELL", `curl -fsS http://127.0.0.1:${c.http.port}${c.http.path} >/dev/null || exit 1`]
      : "tcp" in c
        ? ["CMD-SHELL", `exec 3<>/dev/tcp/127.0.0.1/${c.tcp.port}`]
        : ["CMD", ...c.command];
  return { test, interval: "2s", timeout: "2s", start_period: "2s", retries: 15 };
}

/** The Compose service names a description's service runs as: one per replica, as the Service component does. */
export const instancesOf = (s: Pick<ServiceSpec, "name" | "replicas">) => (s.replicas === 1 ? [s.name] : Array.from({ length: s.replicas }, (_, i) => `${s.name}-${i}`));

/** Every `$` of a literal doubled (Compose's escape), so nothing a description says turns into an interpolation. */
function finish<T>(value: T): T {
  if (typeof value === "string") return value.replaceAll("$", "$$$$") as T;
  if (Array.isArray(value)) return value.map(finish) as T;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finish(v)])) as T;
  return value;
}

/** The Compose file of a stack's testbed. Throws a UsageError when the outputs lack an image the description needs. */
export function composeFromTestbed(input: ComposeExportInput): ComposeFile {
  const { spec, stack, outputs } = input;
  const images = outputs.images;
  const chaosProxy = input.settings.chaos.proxy;
  const entryHostPort = input.entryHostPort ?? input.settings.gateway.hostPort;
  if (!Number.isInteger(entryHostPort) || entryHostPort < 0 || entryHostPort > 65_535) throw new UsageError(`entry host port: got ${entryHostPort}; allowed: 0 (engine-picked) or a port up to 65535`);
  const labels = (component: string) => ({ "cp3.exported-from": stack, "cp3.component": component });

  const missing: string[] = [];
  // PostgreSQL and the migrations read the password file; services add what they mount.
  const usedSecrets: string[] = [PASSWORD_FILE];
  // Each instance's kept paths (services[].volumes), one named volume each, as the Service component makes them.
  const keptVolumes: { name: string; service: string }[] = [];
  const imageOf = (what: string, ref: string | undefined) => {
    if (ref === undefined || ref === "") missing.push(what);
    return ref ?? "";
  };
  // With TLS the servers present the export's certificate and every client verifies it against the CA file.
  const tls = input.settings.tls.enabled;
  const tlsProblem = tls ? tlsWiringProblem(spec) : "";
  if (tlsProblem !== "") throw new UsageError(`stack ${stack}: ${tlsProblem}`);
  const serverSecrets = tls ? [mountSecret(TLS_SERVER_CERT_FILE), mountSecret(TLS_SERVER_KEY_FILE)] : [];
  const caSecrets = tls ? [mountSecret(TLS_CA_FILE)] : [];
  usedSecrets.push(...serverSecrets.map((x) => x.source), ...caSecrets.map((x) => x.source));
  const services: Record<string, ComposeService> = {};
  const add = (name: string, service: ComposeService) => {
    if (services[name]) throw new UsageError(`the description's service "${name}" has the name of the testbed's own ${name}; rename it to export the system as a Compose file`);
    services[name] = service;
  };

  // NATS: one server per replica, its configuration rendered as the Nats component renders it, on tmpfs.
  const nats = spec.nats;
  const natsNames = Array.from({ length: nats.replicas }, (_, i) => natsHost(i));
  const natsUrls = natsNames.map((h) => `nats://${h}:${NATS_CLIENT_PORT}`);
  natsNames.forEach((host) =>
    add(host, {
      image: imageOf("nats", images.nats),
      hostname: host,
      environment: { NATS_CONFIG: renderNatsConfig(host, nats.storeMiB, nats.replicas, tls) },
      ...hardened({ user: USERS.nats, memoryMiB: nats.memoryMiB, cpus: nats.cpus, tmpfs: { [NATS_STORE_DIR]: tmpfsFor(USERS.nats, nats.storeMiB), "/run/nats": tmpfsFor(USERS.nats, 1) } }),
      ...(tls ? { secrets: [...serverSecrets, ...caSecrets] } : {}),
      networks: { data: {} },
      labels: labels("nats"),
    }),
  );

  // PostgreSQL on tmpfs, or on a named volume, as the description says.
  const pg = spec.postgres;
  const pgTmpfs: Record<string, string> = { "/run/postgresql": tmpfsFor(USERS.postgres, 8, "0775"), "/tmp": tmpfsFor(USERS.postgres, 64) };
  if (pg.storage === "tmpfs") pgTmpfs[PGDATA] = tmpfsFor(USERS.postgres, pg.storageMiB);
  add("postgres", {
    image: imageOf("postgres", images.postgres),
    hostname: "postgres",
    environment: {
      POSTGRES_PASSWORD_FILE: secretPath(PASSWORD_FILE),
      PG_MAX_CONNECTIONS: String(pg.maxConnections),
      PG_SHARED_BUFFERS_MB: String(pg.sharedBuffersMiB),
      ...(tls ? { PG_TLS_CERT_FILE: secretPath(TLS_SERVER_CERT_FILE), PG_TLS_KEY_FILE: secretPath(TLS_SERVER_KEY_FILE) } : {}),
    },
    ...hardened({ user: USERS.postgres, memoryMiB: pg.memoryMiB, cpus: pg.cpus, tmpfs: pgTmpfs }),
    secrets: [mountSecret(PASSWORD_FILE), ...serverSecrets, ...caSecrets],
    ...(pg.storage === "volume" ? { volumes: [{ type: "volume" as const, source: "postgres-data", target: PGDATA }] } : {}),
    // /dev/shm backs PostgreSQL's dynamic shared memory.
    shm_size: mib(Math.max(64, pg.sharedBuffersMiB)),
    networks: { data: {} },
    labels: labels("postgres"),
  });

  // Toxiproxy: the link proxies (chaos targets) and the host-access proxies, published on 127.0.0.1 only.
  const natsProxies = natsNames.map((host, i) => ({ name: `nats-${i}`, listenPort: PROXY_PORTS.nats + i, upstream: `${host}:${NATS_CLIENT_PORT}` }));
  const proxies = [...natsProxies, { name: "postgres", listenPort: PROXY_PORTS.postgres, upstream: `postgres:${POSTGRES_PORT}` }, ...HOST_PROXIES];
  add("toxiproxy", {
    image: imageOf("toxiproxy", images.toxiproxy),
    hostname: "toxiproxy",
    environment: { TOXIPROXY_CONFIG: JSON.stringify(proxies.map((p) => ({ name: p.name, listen: `0.0.0.0:${p.listenPort}`, upstream: p.upstream, enabled: true }))) },
    ...hardened({ user: USERS.toxiproxy, memoryMiB: spec.toxiproxy.memoryMiB, cpus: spec.toxiproxy.cpus, tmpfs: { "/run/toxiproxy": tmpfsFor(USERS.toxiproxy, 1) } }),
    networks: { edge: {}, data: {} },
    ports: [TOXIPROXY_API_PORT, ...HOST_PROXIES.map((p) => p.listenPort)].sort((a, b) => a - b).map((p) => `127.0.0.1::${p}`),
    labels: labels("toxiproxy"),
  });

  // The one-shot jobs: one JetStream set-up per consumer, one migration per database with migrations.
  const natsHealthy = Object.fromEntries(natsNames.map((n) => [n, { condition: "service_healthy" as const }]));
  const job = (name: string, a: { image: string; entrypoint: string[]; environment: Record<string, string>; secrets?: ComposeSecret[]; user: string; dependsOn: Record<string, { condition: Condition }> }): ComposeService => ({
    image: a.image,
    hostname: name,
    entrypoint: a.entrypoint,
    environment: a.environment,
    ...(a.secrets ? { secrets: a.secrets } : {}),
    ...hardened({ user: a.user, memoryMiB: JOB.memoryMiB, cpus: JOB.cpus, tmpfs: JOB.tmpfs, job: true }),
    depends_on: a.dependsOn,
    networks: { data: {} },
    labels: labels(name),
  });
  const jetstreamJobs = nats.consumers.map((c) => {
    const name = nats.consumers.length === 1 ? "jetstream" : `jetstream-${c.name}`;
    const s = nats.streams.find((x) => x.name === c.stream)!;
    add(
      name,
      job(name, {
        image: imageOf("nats", images.nats),
        entrypoint: ["/usr/bin/tini", "--", "/usr/local/bin/jetstream-setup"],
        environment: {
          NATS_URL: natsUrls.join(","),
          STREAM_NAME: s.name,
          STREAM_CONFIG: JSON.stringify(streamConfig({ ...s, replicas: nats.replicas })),
          CONSUMER_NAME: c.name,
          CONSUMER_CONFIG: JSON.stringify(consumerConfig(c)),
          ...(tls ? { NATS_CA_FILE: secretPath(TLS_CA_FILE) } : {}),
        },
        ...(tls ? { secrets: caSecrets } : {}),
        user: USERS.nats,
        dependsOn: natsHealthy,
      }),
    );
    return name;
  });
  const migrationJobs = pg.databases.flatMap((d) => {
    if (!d.migrations) return [];
    const name = d.name === "postgres" ? "migration" : `migration-${d.name}`;
    add(
      name,
      job(name, {
        image: imageOf(`migrate (database ${d.name})`, images.migrate[d.name]),
        entrypoint: ["/usr/bin/tini", "--", "/usr/local/bin/migrate"],
        // libpq's own variables: TLS, and the server's name checked against its certificate.
        environment: { PGHOST: "postgres", PGDATABASE: d.name, PGPASSWORD_FILE: secretPath(PASSWORD_FILE), ...(tls ? { PGSSLMODE: "verify-full", PGSSLROOTCERT: secretPath(TLS_CA_FILE) } : {}) },
        secrets: [mountSecret(PASSWORD_FILE), ...caSecrets],
        user: USERS.postgres,
        dependsOn: { postgres: { condition: "service_healthy" } },
      }),
    );
    return [name];
  });

  // Wired values, resolved as components/testbed.ts resolves them: a proxied link goes through Toxiproxy.
  const proxied = (service: string, to: "nats" | "postgres") => chaosProxy && (spec.toxiproxy.links === undefined || spec.toxiproxy.links.some((l) => l.from === service && l.to === to));
  const wiredValue = (service: ServiceSpec, w: WiredValue): { value: string; viaToxiproxy: boolean } => {
    const pgProxied = proxied(service.name, "postgres");
    const pgHost = pgProxied ? "toxiproxy" : "postgres";
    const pgPort = String(pgProxied ? PROXY_PORTS.postgres : POSTGRES_PORT);
    switch (w.from) {
      case "nats.url":
        return proxied(service.name, "nats") ? { value: natsProxies.map((p) => `nats://toxiproxy:${p.listenPort}`).join(","), viaToxiproxy: true } : { value: natsUrls.join(","), viaToxiproxy: false };
      case "postgres.host":
        return { value: pgHost, viaToxiproxy: pgProxied };
      case "postgres.port":
        return { value: pgPort, viaToxiproxy: pgProxied };
      case "postgres.user":
        return { value: "postgres", viaToxiproxy: false };
      // Secrets: the *_FILE variable holds the path; the service mounts the file (secretsOf).
      case "postgres.password":
        return { value: secretPath(secretFileName(w.from)), viaToxiproxy: false };
      case "tls.ca":
        return { value: tls ? secretPath(secretFileName(w.from)) : "", viaToxiproxy: false };
      // The export runs no monitoring: a service skips the alert it would send before stopping, and its spans.
      case "alertmanager.url":
      case "traces.url":
        return { value: "", viaToxiproxy: false };
      case "postgres.dsn":
        return { value: secretPath(secretFileName(w.from)), viaToxiproxy: pgProxied };
      default: {
        const other = spec.services.find((s) => `service:${s.name}.url` === w.from)!;
        return { value: `http://${other.name}:${other.ports[0]!.port}`, viaToxiproxy: false };
      }
    }
  };

  // The system's services: one Compose service per replica, hardened, started after what they depend on.
  const serviceImage = (s: ServiceSpec) => imageOf(`service ${s.name}`, images.services[s.name]);
  const hasHealthcheck = (s: ServiceSpec) => (s.readiness ?? s.health) !== undefined || (input.imageHealthchecks?.[images.services[s.name] ?? ""] ?? "flow" in s.image);
  for (const s of spec.services) {
    const wired = Object.entries(s.env).map(([k, v]) => [k, typeof v === "string" ? { value: v, viaToxiproxy: false } : wiredValue(s, v)] as const);
    const secrets = Object.entries(secretFilesOf(s, proxied(s.name, "postgres"), tls)).map(([file, source]) => mountSecret(source, file));
    usedSecrets.push(...secrets.map((x) => x.source));
    const dependsOn: Record<string, { condition: Condition }> = {};
    for (const d of s.dependsOn) {
      if (d === "nats") {
        Object.assign(dependsOn, natsHealthy);
        for (const j of jetstreamJobs) dependsOn[j] = { condition: "service_completed_successfully" };
      } else if (d === "postgres") {
        dependsOn.postgres = { condition: "service_healthy" };
      } else if (d === "migrations") {
        for (const j of migrationJobs) dependsOn[j] = { condition: "service_completed_successfully" };
      } else {
        const other = spec.services.find((x) => x.name === d)!;
        for (const n of instancesOf(other)) dependsOn[n] = { condition: hasHealthcheck(other) ? "service_healthy" : "service_started" };
      }
    }
    if (wired.some(([, w]) => w.viaToxiproxy)) dependsOn.toxiproxy = { condition: "service_healthy" };
    const entry = s.ports.find((p) => p.entry);
    const check = s.readiness ?? s.health;
    const image = serviceImage(s);
    for (const instance of instancesOf(s)) {
      keptVolumes.push(...s.volumes.map((v) => ({ name: keptVolumeName(instance, v.path), service: s.name })));
      add(instance, {
        image,
        hostname: instance,
        ...(s.command ? { command: s.command } : {}),
        environment: Object.fromEntries(wired.map(([k, w]) => [k, w.value.replaceAll("{{instance}}", instance)])),
        ...(secrets.length > 0 ? { secrets } : {}),
        ...hardened({ user: s.user, memoryMiB: s.memoryMiB, cpus: s.cpus, tmpfs: Object.fromEntries(s.tmpfs.map((t) => [t.path, tmpfsFor(s.user, t.sizeMiB)])) }),
        ...(s.hotReload.length > 0 || s.volumes.length > 0
          ? { volumes: [...s.hotReload.map((h) => ({ type: "bind" as const, source: h.source, target: h.target, read_only: true as const })), ...s.volumes.map((v) => ({ type: "volume" as const, source: keptVolumeName(instance, v.path), target: v.path }))] }
          : {}),
        ...(check ? { healthcheck: healthcheck(check) } : {}),
        ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
        // On its first network a replica also answers to the service's name, as the Service component does.
        networks: Object.fromEntries(s.networks.map((n, j) => [n, j === 0 && instance !== s.name ? { aliases: [s.name] } : {}])),
        ...(entry ? { ports: [`127.0.0.1:${entryHostPort === 0 ? "" : entryHostPort}:${entry.port}`] } : {}),
        labels: labels(s.name),
      });
    }
  }
  if (missing.length > 0) {
    throw new UsageError(`stack ${stack}: its outputs have no image for ${missing.join(", ")} (the description changed since its last up); run \`npm run cp3 -- up --stack ${stack}\` first`);
  }

  return finish({
    services,
    networks: {
      // The entry's network, and the data network with no route out.
      edge: { driver: "bridge" as const, labels: labels("network") },
      data: { driver: "bridge" as const, internal: true as const, labels: labels("network") },
    },
    ...(pg.storage === "volume" || keptVolumes.length > 0
      ? { volumes: Object.fromEntries([...(pg.storage === "volume" ? [["postgres-data", { labels: labels("postgres") }] as const] : []), ...keptVolumes.map((k) => [k.name, { labels: labels(k.service) }] as const)]) }
      : {}),
    secrets: Object.fromEntries([...new Set(usedSecrets)].sort().map((source) => [source, { file: `./${SECRETS_FOLDER}/${source}` }])),
  });
}

/**
 * The Compose file as YAML. Every string is double-quoted and the document is written as YAML 1.1, so PyYAML
 * (docker-compose 1.x) reads `no`, `on`, `Y`, `22:22` or `=` as the strings they are, not as booleans, numbers
 * or tags; Compose v2 reads the same text.
 */
export function composeYaml(file: ComposeFile, header: string): string {
  const doc = new Document(file, { version: "1.1" });
  doc.commentBefore = header
    .split("\n")
    .map((l) => ` ${l}`)
    .join("\n");
  return doc.toString({ defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", doubleQuotedAsJSON: true, lineWidth: 0 });
}
