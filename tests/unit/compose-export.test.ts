// The Compose export as a pure function: the reference description on ci settings gives exactly the testbed's
// services, networks, start order and hardening, with no password inline and nothing published beyond
// 127.0.0.1; and, container by container, the same containers as the Pulumi program declares under mocks.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { composeFromTestbed, composeSecretFiles, composeYaml, type ComposeExportInput, type ComposeFile, type ComposeService } from "../../export/compose";
import { describedSystem, writeComposeExport } from "../../export/stack";
import { projectRoot } from "../../lib/paths";
import { UsageError } from "../../lib/usage-error";
import { parseConfig } from "../../stacks/config";
import { validateSpec } from "../../testbed/validate";
import type { TestbedSpecInput } from "../../testbed/spec";
import { valueOf, type MockRegistry, type Recorded } from "./mock-registry";
import { CONTAINER, ciConfig, env, loadProgram } from "./program-harness";

const IMAGES = {
  nats: "cp3/nats:0123456789abcdef",
  postgres: "cp3/postgres:0123456789abcdef",
  toxiproxy: "cp3/toxiproxy:0123456789abcdef",
  migrate: { postgres: "cp3/migrate:0123456789abcdef" },
  services: { gateway: "cp3/flow-gateway:0123456789abcdef", worker: "cp3/flow-worker:0123456789abcdef" },
};

/** The export of a stack with these settings (ci by default), describing the system its program would. */
function exportOf(settings: Record<string, string>, stack = "ci-unit", extra: Partial<ComposeExportInput> = {}): ComposeFile {
  const config = parseConfig(settings, stack);
  return composeFromTestbed({ stack, spec: describedSystem(config), settings: config, outputs: { images: IMAGES }, ...extra });
}

const healthy = { condition: "service_healthy" };
const completed = { condition: "service_completed_successfully" };

describe("the Compose export of the reference description on ci settings", () => {
  const file = exportOf(ciConfig);
  const all = Object.entries(file.services);

  it("has exactly the testbed's services, each on its network, and the data network internal", () => {
    expect(Object.keys(file.services)).toEqual(["nats-0", "postgres", "toxiproxy", "jetstream", "migration", "gateway", "worker-0", "worker-1"]);
    expect(file.networks).toEqual({
      edge: { driver: "bridge", labels: { "cp3.exported-from": "ci-unit", "cp3.component": "network" } },
      data: { driver: "bridge", internal: true, labels: { "cp3.exported-from": "ci-unit", "cp3.component": "network" } },
    });
    // Only the flows' span spools (services[].volumes), one named volume per instance.
    const spool = (service: string) => ({ labels: { "cp3.exported-from": "ci-unit", "cp3.component": service } });
    expect(file.volumes).toEqual({ "gateway-var-spool-cp3-traces": spool("gateway"), "worker-0-var-spool-cp3-traces": spool("worker"), "worker-1-var-spool-cp3-traces": spool("worker") });
    expect(file.services["worker-1"]!.volumes).toEqual([{ type: "volume", source: "worker-1-var-spool-cp3-traces", target: "/var/spool/cp3-traces" }]);
    const networks = Object.fromEntries(all.map(([n, s]) => [n, s.networks]));
    expect(networks).toEqual({
      "nats-0": { data: {} },
      postgres: { data: {} },
      toxiproxy: { edge: {}, data: {} },
      jetstream: { data: {} },
      migration: { data: {} },
      gateway: { edge: {}, data: {} },
      "worker-0": { data: { aliases: ["worker"] } },
      "worker-1": { data: { aliases: ["worker"] } },
    });
    expect(Object.fromEntries(all.map(([n, s]) => [n, s.image]))).toEqual({
      "nats-0": IMAGES.nats,
      postgres: IMAGES.postgres,
      toxiproxy: IMAGES.toxiproxy,
      jetstream: IMAGES.nats,
      migration: IMAGES.migrate.postgres,
      gateway: IMAGES.services.gateway,
      "worker-0": IMAGES.services.worker,
      "worker-1": IMAGES.services.worker,
    });
  });

  it("starts the jobs after healthy infrastructure and the services after the jobs completed", () => {
    expect(Object.fromEntries(all.map(([n, s]) => [n, s.depends_on]))).toEqual({
      "nats-0": undefined,
      postgres: undefined,
      toxiproxy: undefined,
      jetstream: { "nats-0": healthy },
      migration: { postgres: healthy },
      gateway: { "nats-0": healthy, jetstream: completed, postgres: healthy, migration: completed, toxiproxy: healthy },
      "worker-0": { "nats-0": healthy, jetstream: completed, postgres: healthy, migration: completed, toxiproxy: healthy },
      "worker-1": { "nats-0": healthy, jetstream: completed, postgres: healthy, migration: completed, toxiproxy: healthy },
    });
    expect(Object.fromEntries(all.map(([n, s]) => [n, s.restart]))).toEqual({
      "nats-0": "on-failure:5",
      postgres: "on-failure:5",
      toxiproxy: "on-failure:5",
      jetstream: "no",
      migration: "no",
      gateway: "on-failure:5",
      "worker-0": "on-failure:5",
      "worker-1": "on-failure:5",
    });
    // The infrastructure's images have a HEALTHCHECK of their own; the reference description names its flows'
    // (the same /healthz their images check), so Kubernetes, which ignores HEALTHCHECK, probes them too.
    for (const [n, s] of all) {
      const port = n === "gateway" ? 8080 : n.startsWith("worker") ? 8081 : undefined;
      if (port === undefined) expect(s.healthcheck, n).toBeUndefined();
      else expect(s.healthcheck?.test, n).toEqual(["CMD-SHELL", `curl -fsS http://127.0.0.1:${port}/healthz >/dev/null || exit 1`]);
    }
  });

  it("hardens every container", () => {
    for (const [n, s] of all) {
      expect(s, n).toMatchObject({
        read_only: true,
        cap_drop: ["ALL"],
        security_opt: ["no-new-privileges:true"],
        ulimits: { nproc: { soft: 512, hard: 512 } },
        logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
      });
      expect(s.user, n).toMatch(/^100\d\d:100\d\d$/);
      expect(s.mem_limit, n).toMatch(/^\d+m$/);
      expect(s.memswap_limit, n).toBe(s.mem_limit);
      expect(s.cpus, n).toBeGreaterThan(0);
      expect(s.tmpfs.length, n).toBeGreaterThan(0);
      for (const t of s.tmpfs) expect(t, n).toMatch(/^\/[^:]*:rw,noexec,nosuid,size=\d+m(,uid=\d+,gid=\d+,mode=0[0-7]{3})?$/);
    }
    expect(file.services["nats-0"]!.tmpfs).toEqual(["/data:rw,noexec,nosuid,size=128m,uid=10001,gid=10001,mode=0700", "/run/nats:rw,noexec,nosuid,size=1m,uid=10001,gid=10001,mode=0700"]);
    expect(file.services.postgres!.tmpfs).toContain("/var/lib/postgresql/data:rw,noexec,nosuid,size=512m,uid=10003,gid=10003,mode=0700");
    expect(file.services.postgres!.shm_size).toBe("128m");
  });

  it("puts no secret in a variable: PostgreSQL, the migration and the flows read the password file mounted from secrets/", () => {
    const text = composeYaml(file, "test");
    expect(text).not.toMatch(/\$\{/);
    expect(file.secrets).toEqual({ "postgres-password": { file: "./secrets/postgres-password" } });
    const readers = all.filter(([, s]) => s.secrets).map(([n, s]) => [n, s.secrets, Object.entries(s.environment).filter(([k]) => k.endsWith("_FILE"))]);
    const mount = [{ source: "postgres-password", target: "postgres-password" }];
    expect(readers).toEqual([
      ["postgres", mount, [["POSTGRES_PASSWORD_FILE", "/run/secrets/postgres-password"]]],
      ["migration", mount, [["PGPASSWORD_FILE", "/run/secrets/postgres-password"]]],
      ...["gateway", "worker-0", "worker-1"].map((n) => [n, mount, [["CONTAINER_POSTGRES__PASSWORD_FILE", "/run/secrets/postgres-password"]]]),
    ]);
  });

  it("publishes only on 127.0.0.1: the entry on an engine-picked port (ci), Toxiproxy's API and host proxies", () => {
    const ports = Object.fromEntries(all.filter(([, s]) => s.ports).map(([n, s]) => [n, s.ports]));
    expect(ports).toEqual({ toxiproxy: ["127.0.0.1::8474", "127.0.0.1::24222", "127.0.0.1::25432", "127.0.0.1::28222"], gateway: ["127.0.0.1::8080"] });
    expect(exportOf(ciConfig, "ci-unit", { entryHostPort: 28080 }).services.gateway!.ports).toEqual(["127.0.0.1:28080:8080"]);
  });

  it("writes YAML that reads back as the same object, every string quoted for YAML 1.1 readers", () => {
    const text = composeYaml(file, "line one\nline two");
    expect(text.startsWith("# line one\n# line two\n")).toBe(true);
    expect(parse(text, { version: "1.1" })).toEqual(JSON.parse(JSON.stringify(file)));
    expect(text).toContain('restart: "no"');
    expect(text).not.toMatch(/^version:|^name:/m);
  });
});

const tlsConfig = { ...ciConfig, "cp3:tls": JSON.stringify({ enabled: true }) };
// The certificates differ by design (the export makes its own CA): files under these names compare by name.
const TLS_FILES = /^\/run\/secrets\/tls-(ca|server-cert|server-key)$/;
const PEMS = { caCert: "CA", serverCert: "CERT", serverKey: "KEY" };

describe.each([
  ["without TLS", ciConfig],
  ["with TLS", tlsConfig],
])("the Compose export against the Pulumi program under mocks, %s", (_, settings) => {
  let registry: MockRegistry;
  let file: ComposeFile;
  let password: string;
  const tls = settings === tlsConfig;

  beforeAll(async () => {
    const loaded = await loadProgram("ci-unit", settings);
    registry = loaded.registry;
    const images = await valueOf(loaded.program.images);
    password = registry.one("pulumi:index:Stash", "postgres-password-stash").inputs.input as string;
    const config = parseConfig(settings, "ci-unit");
    file = composeFromTestbed({ stack: "ci-unit", spec: describedSystem(config), settings: config, outputs: { images } });
  });
  const pem = (file: string, content: string) => (TLS_FILES.test(file) ? "PEM" : content);

  // Container resource -> Compose service.
  const SERVICE_OF: Record<string, string> = {
    "nats-0": "nats-0",
    "postgres-server": "postgres",
    "toxiproxy-server": "toxiproxy",
    "jetstream-setup-run": "jetstream",
    "migration-apply-run": "migration",
    "gateway-0": "gateway",
    "worker-0": "worker-0",
    "worker-1": "worker-1",
  };

  /** A container's settings in one shape, from the provider's inputs. */
  const fromContainer = (c: Recorded) => {
    const i = c.inputs;
    const environment = Object.fromEntries(
      env(c)
        .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])
        // Pulumi's own start-order and re-run keys; Compose has depends_on for them.
        .filter(([k]) => k !== "CP3_STARTED_AFTER" && k !== "JOB_RERUN_KEY"),
    );
    // The server name is the container's name, which differs by design.
    if (environment.NATS_CONFIG) environment.NATS_CONFIG = environment.NATS_CONFIG.replace(/server_name: "cp3-ci-unit-/, 'server_name: "');
    return {
      image: i.image,
      entrypoint: i.entrypoints,
      command: i.command,
      environment,
      user: i.user,
      memoryMiB: i.memory,
      cpus: Number(i.cpus),
      tmpfs: i.tmpfs,
      restart: i.restart === "no" ? "no" : `${String(i.restart)}:${String(i.maxRetryCount)}`,
      caps: (i.capabilities as { drops: string[] }).drops,
      securityOpt: i.securityOpts,
      nproc: i.ulimits,
      shmMiB: i.shmSize,
      // The files its holder uploads into the secrets volume it mounts.
      secretFiles: ((i.volumes as { volumeName?: string; containerPath: string }[] | undefined) ?? [])
        .filter((v) => v.containerPath === "/run/secrets")
        .flatMap((v) => (registry.byType(CONTAINER).find((h) => h.inputs.start === false && (h.inputs.volumes as { volumeName: string }[])[0]!.volumeName === v.volumeName)!.inputs.uploads as { file: string; content: string }[]).map((u) => [u.file, pem(u.file, u.content)])),
      networks: (i.networksAdvanced as { name: string }[]).map((n) => n.name.replace(/^cp3-ci-unit-/, "")),
      ports: ((i.ports as { internal: number; ip: string }[] | undefined) ?? []).map((p) => `${p.ip}:${p.internal}`),
    };
  };
  /** The same shape from a Compose service, with the secret files' contents as `cp3 export compose` writes them. */
  const fromCompose = (s: ComposeService) => ({
    image: s.image,
    entrypoint: s.entrypoint,
    command: s.command,
    environment: Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v.replaceAll("$$", "$")])),
    user: s.user,
    memoryMiB: Number(s.mem_limit.replace(/m$/, "")),
    cpus: s.cpus,
    tmpfs: Object.fromEntries(s.tmpfs.map((t) => [t.slice(0, t.indexOf(":")), t.slice(t.indexOf(":") + 1)])),
    restart: s.restart,
    caps: s.cap_drop,
    securityOpt: s.security_opt,
    nproc: Object.entries(s.ulimits).map(([name, l]) => ({ name, ...l })),
    shmMiB: s.shm_size === undefined ? undefined : Number(s.shm_size.replace(/m$/, "")),
    secretFiles: (s.secrets ?? []).map((x) => [`/run/secrets/${x.target}`, pem(`/run/secrets/${x.target}`, composeSecretFiles(password, tls ? PEMS : undefined)[x.source]!)]),
    networks: Object.keys(s.networks),
    ports: (s.ports ?? []).map((p) => `${p.split(":")[0]}:${p.split(":").pop()}`),
  });

  it("maps every container of the program to one Compose service and back", () => {
    // Secret holders never run; Compose mounts its secret files directly.
    expect(registry.byType(CONTAINER).filter((c) => c.inputs.start !== false).map((c) => SERVICE_OF[c.name]).sort()).toEqual(Object.keys(file.services).sort());
  });

  it.each(Object.entries(SERVICE_OF))("%s: same image, entry point, environment (wired values included), secret files, user, limits, tmpfs, restart, hardening, networks and ports", (resource, service) => {
    expect(fromCompose(file.services[service]!)).toEqual(fromContainer(registry.one(CONTAINER, resource)));
  });
});

describe("the Compose export of other settings and descriptions", () => {
  it("wires the services straight to NATS and PostgreSQL with chaos.proxy off", () => {
    const file = exportOf({ ...ciConfig, "cp3:chaos": JSON.stringify({ proxy: false }) });
    expect(file.services.gateway!.environment).toMatchObject({ CONTAINER_NATS__URL: "nats://nats-0:4222", CONTAINER_POSTGRES__HOST: "postgres", CONTAINER_POSTGRES__PORT: "5432" });
    expect(Object.keys(file.services.gateway!.depends_on!)).toEqual(["nats-0", "jetstream", "postgres", "migration"]);
  });

  it("keeps PostgreSQL on a named volume, the flows' code bound read-only and the fixed entry port of a dev stack", () => {
    const file = exportOf({ "cp3:kind": "dev", "cp3:dev": JSON.stringify({ hotReload: true }), "cp3:postgres": JSON.stringify({ storage: "volume", memoryMiB: 512 }), "cp3:gateway": JSON.stringify({ hostPort: 18080 }) }, "dev");
    expect(Object.keys(file.volumes!)).toEqual(["postgres-data", "gateway-var-spool-cp3-traces", "worker-0-var-spool-cp3-traces", "worker-1-var-spool-cp3-traces"]);
    expect(file.volumes!["postgres-data"]).toEqual({ labels: { "cp3.exported-from": "dev", "cp3.component": "postgres" } });
    expect(file.services.postgres!.volumes).toEqual([{ type: "volume", source: "postgres-data", target: "/var/lib/postgresql/data" }]);
    expect(file.services.postgres!.tmpfs.some((t) => t.startsWith("/var/lib/postgresql/data:"))).toBe(false);
    expect(file.services.gateway!.volumes).toEqual([
      { type: "bind", source: path.resolve(__dirname, "../../workload/core"), target: "/app/core", read_only: true },
      { type: "bind", source: path.resolve(__dirname, "../../workload/flows/gateway"), target: "/app/flows/gateway", read_only: true },
      { type: "volume", source: "gateway-var-spool-cp3-traces", target: "/var/spool/cp3-traces" },
    ]);
    expect(file.services.gateway!.ports).toEqual(["127.0.0.1:18080:8080"]);
  });

  it("runs three NATS servers with routes on staging, and waits for all three", () => {
    const file = exportOf({ "cp3:kind": "staging", "cp3:nats": JSON.stringify({ replicas: 3, storeMiB: 512, memoryMiB: 1024 }), "cp3:postgres": JSON.stringify({ storage: "volume", memoryMiB: 1024 }) }, "staging");
    expect(Object.keys(file.services).slice(0, 3)).toEqual(["nats-0", "nats-1", "nats-2"]);
    expect(file.services["nats-1"]!.environment.NATS_CONFIG).toContain('"nats://nats-2:6222"');
    expect(file.services.jetstream!.depends_on).toEqual({ "nats-0": healthy, "nats-1": healthy, "nats-2": healthy });
    expect(file.services.jetstream!.environment.NATS_URL).toBe("nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222");
    expect(file.services["worker-0"]!.environment.CONTAINER_NATS__URL).toBe("nats://toxiproxy:14222,nats://toxiproxy:14223,nats://toxiproxy:14224");
  });

  it("takes a description's own checks, commands, links and dependencies, and escapes every literal $", () => {
    const input: TestbedSpecInput = {
      name: "shop",
      postgres: { databases: [{ name: "orders", migrations: "/tmp/m" }] },
      toxiproxy: { links: [{ from: "api", to: "postgres" }] },
      services: [
        {
          name: "api",
          image: { local: "shop/api:1" },
          command: ["serve", "--greeting", "costs $5"],
          env: { DSN_FILE: { from: "postgres.dsn" }, PRICES: { from: "service:prices.url" }, RAW: "a$b" },
          ports: [{ port: 9000, entry: true }],
          readiness: { http: { port: 9000, path: "/ready" } },
          dependsOn: ["prices", "migrations"],
          networks: ["edge", "data"],
        },
        { name: "prices", image: { local: "shop/prices:1" }, replicas: 2, ports: [{ port: 7000 }], env: { NATS: { from: "nats.url" } } },
      ],
      drive: { entry: "api", request: { method: "GET", path: "/" } },
    };
    const spec = validateSpec(input, "test");
    const images = { ...IMAGES, migrate: { orders: "cp3/migrate-orders:1" }, services: { api: "shop/api:1", prices: "shop/prices:1" } };
    const settings = parseConfig(ciConfig, "ci-unit");
    const file = composeFromTestbed({ stack: "ci-unit", spec, settings, outputs: { images } });
    expect(Object.keys(file.services)).toEqual(["nats-0", "postgres", "toxiproxy", "migration-orders", "api", "prices-0", "prices-1"]);
    const api = file.services.api!;
    expect(api.command).toEqual(["serve", "--greeting", "costs $$5"]);
    expect(api.environment).toEqual({ DSN_FILE: "/run/secrets/postgres-dsn", PRICES: "http://prices:7000", RAW: "a$$b" });
    // api's PostgreSQL link is proxied: the DSN file names Toxiproxy.
    expect(api.secrets).toEqual([{ source: "postgres-dsn-proxied", target: "postgres-dsn" }]);
    expect(file.secrets).toEqual({ "postgres-dsn-proxied": { file: "./secrets/postgres-dsn-proxied" }, "postgres-password": { file: "./secrets/postgres-password" } });
    expect(api.healthcheck).toEqual({ test: ["CMD-SHELL", "curl -fsS http://127.0.0.1:9000/ready >/dev/null || exit 1"], interval: "2s", timeout: "2s", start_period: "2s", retries: 15 });
    // prices has no check and an image not known to have one: started is all Compose can wait for.
    expect(api.depends_on).toEqual({ "prices-0": { condition: "service_started" }, "prices-1": { condition: "service_started" }, "migration-orders": completed, toxiproxy: healthy });
    // Only api's PostgreSQL link is proxied; prices reaches NATS directly.
    expect(file.services["prices-1"]!.environment).toEqual({ NATS: "nats://nats-0:4222" });
    expect(file.services["prices-1"]!.networks).toEqual({ data: { aliases: ["prices"] } });
    const withChecks = composeFromTestbed({ stack: "ci-unit", spec, settings, outputs: { images }, imageHealthchecks: { "shop/prices:1": true } });
    expect(withChecks.services.api!.depends_on!["prices-0"]).toEqual(healthy);
    expect(parse(composeYaml(file, "x"), { version: "1.1" }).services.api.command).toEqual(["serve", "--greeting", "costs $$5"]);
  });

  it("with TLS mounts the certificate into the servers and the CA into every client, and the DSNs ask for verify-full", () => {
    const file = exportOf(tlsConfig);
    expect(file.secrets).toEqual(Object.fromEntries(["postgres-password", "tls-ca", "tls-server-cert", "tls-server-key"].map((n) => [n, { file: `./secrets/${n}` }])));
    const mounts = Object.fromEntries(Object.entries(file.services).map(([n, s]) => [n, (s.secrets ?? []).map((x) => x.target)]));
    expect(mounts).toEqual({
      "nats-0": ["tls-server-cert", "tls-server-key", "tls-ca"],
      postgres: ["postgres-password", "tls-server-cert", "tls-server-key", "tls-ca"],
      toxiproxy: [],
      jetstream: ["tls-ca"],
      migration: ["postgres-password", "tls-ca"],
      ...Object.fromEntries(["gateway", "worker-0", "worker-1"].map((n) => [n, ["postgres-password", "tls-ca"]])),
    });
    expect(file.services["nats-0"]!.environment.NATS_CONFIG).toContain('tls {\n  cert_file: "/run/secrets/tls-server-cert"');
    expect(file.services.migration!.environment).toMatchObject({ PGSSLMODE: "verify-full", PGSSLROOTCERT: "/run/secrets/tls-ca" });
    expect(file.services.gateway!.environment).toMatchObject({ CONTAINER_NATS__CA_FILE: "/run/secrets/tls-ca", CONTAINER_POSTGRES__CA_FILE: "/run/secrets/tls-ca" });
    expect(composeSecretFiles("pw", PEMS)["postgres-dsn-proxied"]).toBe("postgres://postgres:pw@toxiproxy:15432/postgres?sslmode=verify-full&sslrootcert=/run/secrets/tls-ca");
    // Without TLS a description that wires the CA gets an empty value and no file; with TLS one that connects
    // without it is refused, naming the services.
    const withCa = describedSystem(parseConfig(tlsConfig, "ci-unit"));
    const plain = composeFromTestbed({ stack: "ci-unit", spec: withCa, settings: parseConfig(ciConfig, "ci-unit"), outputs: { images: IMAGES } });
    expect(plain.services.gateway!.environment).toMatchObject({ CONTAINER_NATS__CA_FILE: "", CONTAINER_POSTGRES__CA_FILE: "" });
    expect(plain.services.gateway!.secrets).toEqual([{ source: "postgres-password", target: "postgres-password" }]);
    const withoutCa = describedSystem(parseConfig(ciConfig, "ci-unit"));
    expect(() => composeFromTestbed({ stack: "ci-unit", spec: withoutCa, settings: parseConfig(tlsConfig, "ci-unit"), outputs: { images: IMAGES } })).toThrow(
      "stack ci-unit: TLS is on (cp3:tls.enabled, the default of ci stacks), but service(s) gateway, worker connect to NATS or PostgreSQL without wiring tls.ca",
    );
  });

  it("refuses outputs without the images the description needs, naming the command to run", () => {
    const config = parseConfig(ciConfig, "ci-unit");
    const call = () => composeFromTestbed({ stack: "ci-unit", spec: describedSystem(config), settings: config, outputs: { images: { ...IMAGES, services: { gateway: IMAGES.services.gateway } } } });
    expect(call).toThrow(UsageError);
    expect(call).toThrow("stack ci-unit: its outputs have no image for service worker (the description changed since its last up); run `npm run cp3 -- up --stack ci-unit` first");
  });

  it("writes the secrets only into files in secrets/ beside the Compose file (folder 0700), replacing an earlier export's", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-compose-"));
    try {
      const yaml = composeYaml(exportOf(ciConfig), "x");
      writeComposeExport(path.join(dir, "docker-compose.yml"), yaml, composeSecretFiles("old-Pa55", PEMS));
      const written = writeComposeExport(path.join(dir, "docker-compose.yml"), yaml, composeSecretFiles("s3cret-Pa55"));
      expect(written.secrets).toBe(path.join(dir, "secrets"));
      expect(fs.statSync(written.secrets).mode & 0o777).toBe(0o700);
      expect(fs.readdirSync(written.secrets).sort()).toEqual(["postgres-dsn-direct", "postgres-dsn-proxied", "postgres-password"]);
      expect(fs.readFileSync(path.join(written.secrets, "postgres-password"), "utf8")).toBe("s3cret-Pa55");
      expect(fs.readFileSync(path.join(written.secrets, "postgres-dsn-proxied"), "utf8")).toBe("postgres://postgres:s3cret-Pa55@toxiproxy:15432/postgres");
      expect(fs.statSync(path.join(written.secrets, "postgres-password")).mode & 0o777).toBe(0o444);
      expect(fs.readFileSync(written.file, "utf8")).toBe(yaml);
      expect(yaml).not.toContain("s3cret");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("cp3 export on the command line", () => {
  const cp3 = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(projectRoot, "cli", "main.ts"), ...args], { cwd: projectRoot, encoding: "utf8", timeout: 60_000 });

  it.each([
    [["export", "--stack", "ci"], 'cp3: export: got ""; accepted: compose, dashboards (npm run cp3 -- export compose --stack S [--out FILE] [--entry-port N], or export dashboards --stack S [--out FILE])'],
    [["export", "kubernetes", "--stack", "ci"], 'cp3: export: got "kubernetes"; accepted: compose, dashboards (npm run cp3 -- export compose --stack S [--out FILE] [--entry-port N], or export dashboards --stack S [--out FILE])'],
    [["export", "compose"], "cp3: export: --stack is required (stack: ci, ci-<suffix>, dev or staging; for compose it must have been up (its images are used), for dashboards only its configuration is read)"],
    [["export", "compose", "--stack", "prod"], 'cp3: unknown stack "prod": accepted stacks are ci, ci-<suffix> (lower-case letters, digits and \'-\', up to 41 characters), k8s-ci-<suffix> (the same on Kubernetes, up to 42), dev, staging'],
    [["export", "compose", "--stack", "ci", "--entry-port", "99999"], 'cp3: --entry-port: got "99999"; allowed: 0 (engine-picked) or a port up to 65535'],
  ])("cp3 %j fails with one line and exit code 2 before opening anything", (args, line) => {
    const r = cp3(...args);
    expect(r.stderr.trim().split("\n")).toEqual([line]);
    expect(r.status).toBe(2);
  });
});
