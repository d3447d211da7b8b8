// The ci program under Pulumi's mocks: exact child types, names and inputs.
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { valueOf, type MockRegistry } from "./mock-registry";
import { projectRoot } from "../../lib/paths";
import { CONTAINER, IMAGE, NETWORK, VOLUME, ciConfig, envValue, loadProgram } from "./program-harness";

describe("the ci program", () => {
  let registry: MockRegistry;
  let program: typeof import("../../stacks/program");

  beforeAll(async () => {
    ({ registry, program } = await loadProgram("ci-unit", ciConfig));
  });

  it("declares exactly the testbed's resources, named from their components", () => {
    const declared = registry.resources.map((r) => `${r.type} ${r.name}`).sort();
    const images = ["nats", "toxiproxy", "postgres", "migrate", "base", "flow-gateway", "flow-worker"];
    // Each reader of the password has its own volume of secret files, filled by a holder that never runs.
    const secretVolumes = ["postgres-secrets", "migration-apply-secrets", "gateway-secrets", "worker-secrets"];
    expect(declared).toEqual(
      [
        ...images.flatMap((i) => [`cp3:images:LocalImage ${i}`, `${IMAGE} ${i}-image`]),
        ...secretVolumes.flatMap((v) => [`cp3:secrets:SecretVolume ${v}`, `${VOLUME} ${v}-volume`, `${CONTAINER} ${v}-holder`]),
        "cp3:network:TestbedNetwork edge",
        `${NETWORK} edge-bridge`,
        "cp3:network:TestbedNetwork data",
        `${NETWORK} data-bridge`,
        "cp3:nats:Nats nats",
        `${CONTAINER} nats-0`,
        "cp3:secrets:RandomSecret postgres-password",
        "pulumi:index:Stash postgres-password-stash",
        "cp3:postgres:Postgres postgres",
        `${CONTAINER} postgres-server`,
        "cp3:toxiproxy:Toxiproxy toxiproxy",
        `${CONTAINER} toxiproxy-server`,
        "cp3:nats:JetStream jetstream",
        "cp3:jobs:OneShotJob jetstream-setup",
        `${CONTAINER} jetstream-setup-run`,
        "cp3:postgres:Migration migration",
        "cp3:jobs:OneShotJob migration-apply",
        `${CONTAINER} migration-apply-run`,
        "cp3:index:Testbed testbed",
        "cp3:services:Service gateway",
        `${CONTAINER} gateway-0`,
        // The span spool of each flow instance (services[].volumes), kept when its process is killed.
        `${VOLUME} gateway-0-volume-0`,
        "cp3:services:Service worker",
        `${CONTAINER} worker-0`,
        `${VOLUME} worker-0-volume-0`,
        `${CONTAINER} worker-1`,
        `${VOLUME} worker-1-volume-0`,
      ].sort(),
    );
  });

  it("isolates the data network (internal) and names both networks per stack", () => {
    expect(registry.one(NETWORK, "data-bridge").inputs).toMatchObject({ name: "cp3-ci-unit-data", driver: "bridge", internal: true });
    expect(registry.one(NETWORK, "edge-bridge").inputs).toMatchObject({ name: "cp3-ci-unit-edge", driver: "bridge", internal: false });
  });

  it("hardens every container and labels it with its owner", () => {
    const containers = registry.byType(CONTAINER);
    expect(containers).toHaveLength(12);
    for (const c of containers) {
      const job = c.inputs.attach === true || c.inputs.start === false;
      const i = c.inputs;
      expect(i.user, c.name).toMatch(/^100\d\d:100\d\d$/);
      expect(i, c.name).toMatchObject({
        readOnly: true,
        capabilities: { drops: ["ALL"], adds: [] },
        securityOpts: ["no-new-privileges:true"],
        privileged: false,
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
        ulimits: [{ name: "nproc", soft: 512, hard: 512 }],
        restart: job ? "no" : "on-failure",
        maxRetryCount: job ? 0 : 5,
      });
      expect(i.memory as number, c.name).toBeGreaterThan(0);
      expect(i.memorySwap, c.name).toBe(i.memory);
      expect(Number(i.cpus), c.name).toBeGreaterThan(0);
      expect(i.networkMode, c.name).toBeUndefined();
      expect(JSON.stringify(i.volumes ?? []) + JSON.stringify(i.mounts ?? []), c.name).not.toContain("docker.sock");
      for (const p of (i.ports as { ip: string }[] | undefined) ?? []) expect(p.ip, c.name).toBe("127.0.0.1");
      const labels = Object.fromEntries((i.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));
      expect(labels, c.name).toMatchObject({ "cp3.stack": "ci-unit", "cp3.run": "ci-unit", "cp3.expires": "2026-11-24T12:00:00Z" });
    }
  });

  it("stores JetStream on a tmpfs of the configured size, owned by the NATS user, and publishes nothing", () => {
    const nats = registry.one(CONTAINER, "nats-0").inputs;
    expect(nats.tmpfs).toEqual({
      "/data": "rw,noexec,nosuid,size=128m,uid=10001,gid=10001,mode=0700",
      "/run/nats": "rw,noexec,nosuid,size=1m,uid=10001,gid=10001,mode=0700",
    });
    expect(nats.ports).toBeUndefined();
    expect(nats.networksAdvanced).toEqual([{ name: "cp3-ci-unit-data", aliases: ["nats-0"] }]);
    const conf = envValue(registry.one(CONTAINER, "nats-0"), "NATS_CONFIG")!;
    expect(conf).toContain('store_dir: "/data"');
    expect(conf).toContain(`max_file_store: ${Math.floor(128 * 0.9) * 1024 * 1024}`);
    expect(conf).not.toContain("cluster");
  });

  it("creates the stream and consumer from typed configuration, with DiscardNew and the duplicate window", () => {
    const job = registry.one(CONTAINER, "jetstream-setup-run");
    expect(JSON.parse(envValue(job, "STREAM_CONFIG")!)).toMatchObject({
      name: "RECORDS",
      subjects: ["records.>"],
      retention: "workqueue",
      storage: "file",
      num_replicas: 1,
      max_bytes: 100 * 1024 * 1024,
      discard: "new",
      duplicate_window: 120_000_000_000,
    });
    expect(JSON.parse(envValue(job, "CONSUMER_CONFIG")!)).toMatchObject({ durable_name: "workers", ack_policy: "explicit", max_ack_pending: 1000, ack_wait: 30_000_000_000, max_deliver: 10 });
    expect(envValue(job, "NATS_URL")).toBe("nats://nats-0:4222");
    // A replaced NATS server starts with an empty tmpfs: the set-up must run again, and the migration likewise.
    expect(envValue(job, "JOB_RERUN_KEY")).toBe("nats-0-id");
    expect(envValue(registry.one(CONTAINER, "migration-apply-run"), "JOB_RERUN_KEY")).toBe("postgres-server-id");
  });

  it("keeps PostgreSQL's data on tmpfs in ci and its password a generated secret, delivered as files only", async () => {
    const pg = registry.one(CONTAINER, "postgres-server").inputs;
    expect((pg.tmpfs as Record<string, string>)["/var/lib/postgresql/data"]).toBe("rw,noexec,nosuid,size=512m,uid=10003,gid=10003,mode=0700");
    const password = registry.one("pulumi:index:Stash", "postgres-password-stash").inputs.input as string;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Each reader mounts its own volume read-only; only its holder, which never starts, has the secret as input.
    const readers = { "postgres-server": "postgres-secrets", "migration-apply-run": "migration-apply-secrets", "gateway-0": "gateway-secrets", "worker-0": "worker-secrets", "worker-1": "worker-secrets" };
    for (const [reader, volume] of Object.entries(readers)) {
      const owner = reader.startsWith("postgres") || reader.startsWith("migration") ? "10003" : "10002";
      expect((registry.one(CONTAINER, reader).inputs.volumes as unknown[])[0], reader).toEqual({ volumeName: `cp3-ci-unit-${volume}`, containerPath: "/run/secrets", readOnly: true });
      expect(registry.one(CONTAINER, reader).inputs.uploads, reader).toBeUndefined();
      expect(registry.one(VOLUME, `${volume}-volume`).inputs.name).toBe(`cp3-ci-unit-${volume}`);
      expect(registry.one(CONTAINER, `${volume}-holder`).inputs, volume).toMatchObject({
        name: `cp3-ci-unit-${volume}`,
        // The Debian root, which a code change does not rebuild: a rebuilt service keeps its holder.
        image: expect.stringMatching(/^cp3\/debian:/),
        entrypoints: ["/bin/true"],
        start: false,
        mustRun: false,
        user: `${owner}:${owner}`,
        volumes: [{ volumeName: `cp3-ci-unit-${volume}`, containerPath: "/run/secrets" }],
        uploads: [{ file: "/run/secrets/postgres-password", content: password, owner, group: owner, permissions: "0400" }],
      });
    }
    expect(envValue(registry.one(CONTAINER, "postgres-server"), "POSTGRES_PASSWORD_FILE")).toBe("/run/secrets/postgres-password");
    expect(envValue(registry.one(CONTAINER, "migration-apply-run"), "PGPASSWORD_FILE")).toBe("/run/secrets/postgres-password");
    for (const flow of ["gateway-0", "worker-0", "worker-1"]) {
      expect(envValue(registry.one(CONTAINER, flow), "CONTAINER_POSTGRES__PASSWORD_FILE"), flow).toBe("/run/secrets/postgres-password");
    }
    // No variable of any container holds the password.
    for (const c of registry.byType(CONTAINER)) expect(((c.inputs.envs as string[] | undefined) ?? []).filter((e) => e.includes(password)), c.name).toEqual([]);
    expect(envValue(registry.one(CONTAINER, "postgres-server"), "PG_MAX_CONNECTIONS")).toBe("100");
    expect(await (program.postgresDsn as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
  });

  it("gives each flow instance a span spool on a volume of its own, kept when the process is killed", () => {
    for (const [container, instance, component] of [["gateway-0", "gateway", "gateway"], ["worker-0", "worker-0", "worker"], ["worker-1", "worker-1", "worker"]] as const) {
      const volume = registry.one(VOLUME, `${container}-volume-0`).inputs;
      expect(volume.name, container).toBe(`cp3-ci-unit-${instance}-var-spool-cp3-traces`);
      expect(volume.labels, container).toEqual(expect.arrayContaining([{ label: "cp3.stack", value: "ci-unit" }, { label: "cp3.component", value: component }]));
      expect((registry.one(CONTAINER, container).inputs.volumes as unknown[]).slice(1), container).toEqual([{ volumeName: `cp3-ci-unit-${instance}-var-spool-cp3-traces`, containerPath: "/var/spool/cp3-traces" }]);
      expect(envValue(registry.one(CONTAINER, container), "CONTAINER_TRACES__SPOOL_DIR"), container).toBe("/var/spool/cp3-traces");
    }
  });

  it("proxies the flows' NATS and PostgreSQL links through Toxiproxy and publishes only host-access proxies", () => {
    const tp = registry.one(CONTAINER, "toxiproxy-server");
    expect(JSON.parse(envValue(tp, "TOXIPROXY_CONFIG")!)).toEqual([
      { name: "nats-0", listen: "0.0.0.0:14222", upstream: "nats-0:4222", enabled: true },
      { name: "postgres", listen: "0.0.0.0:15432", upstream: "postgres:5432", enabled: true },
      { name: "host-nats", listen: "0.0.0.0:24222", upstream: "nats-0:4222", enabled: true },
      { name: "host-nats-monitor", listen: "0.0.0.0:28222", upstream: "nats-0:8222", enabled: true },
      { name: "host-postgres", listen: "0.0.0.0:25432", upstream: "postgres:5432", enabled: true },
    ]);
    expect(tp.inputs.ports).toEqual([
      { internal: 8474, ip: "127.0.0.1" },
      { internal: 24222, ip: "127.0.0.1" },
      { internal: 25432, ip: "127.0.0.1" },
      { internal: 28222, ip: "127.0.0.1" },
    ]);
    expect(tp.inputs.networksAdvanced).toEqual([{ name: "cp3-ci-unit-edge" }, { name: "cp3-ci-unit-data", aliases: ["toxiproxy"] }]);
    const worker = registry.one(CONTAINER, "worker-0");
    expect(envValue(worker, "CONTAINER_NATS__URL")).toBe("nats://toxiproxy:14222");
    expect(envValue(worker, "CONTAINER_POSTGRES__HOST")).toBe("toxiproxy");
    expect(envValue(worker, "CONTAINER_NATS__SUBJECT")).toBe("records.new");
    expect(JSON.parse(envValue(worker, "CONTAINER_NATS__STREAM_CONFIG")!)).toEqual(JSON.parse(envValue(registry.one(CONTAINER, "jetstream-setup-run"), "STREAM_CONFIG")!));
    expect(JSON.parse(envValue(worker, "CONTAINER_NATS__CONSUMER_CONFIG")!).durable_name).toBe("workers");
  });

  it("builds flow images on the base image (two stages), each from its own code", () => {
    const base = registry.one(IMAGE, "base-image").inputs;
    const build = (name: string) => registry.one(IMAGE, name).inputs.build as { context: string; buildArgs: Record<string, string> };
    expect(build("base-image").buildArgs.ROOT_IMAGE).toMatch(/^cp3\/debian:bookworm-[0-9a-f]{12}$/);
    expect(fs.readdirSync(build("base-image").context).sort()).toEqual(["Dockerfile", "app", "node"]);
    for (const flow of ["gateway", "worker"]) {
      expect(build(`flow-${flow}-image`).buildArgs).toEqual({ BASE_IMAGE: base.name, FLOW: flow });
      // Exactly the flow's own folder, nothing of the other flow's.
      expect(fs.readdirSync(path.join(build(`flow-${flow}-image`).context, "code")).sort()).toEqual(fs.readdirSync(path.join(projectRoot, "workload", "flows", flow)).sort());
    }
    expect(build("migrate-image").buildArgs.POSTGRES_IMAGE).toBe(registry.one(IMAGE, "postgres-image").inputs.name);
    for (const img of registry.byType(IMAGE)) expect(img.inputs.name as string).toMatch(/^cp3\/[a-z-]+:[0-9a-f]{16}$/);
  });

  it("starts the flows only after the migration and the JetStream set-up succeeded", () => {
    for (const name of ["gateway-0", "worker-0", "worker-1"]) expect(envValue(registry.one(CONTAINER, name), "CP3_STARTED_AFTER")).toBe("succeeded,succeeded");
  });

  it("publishes the gateway on 127.0.0.1 with an engine-picked port and keeps workers on the data network", async () => {
    expect(registry.one(CONTAINER, "gateway-0").inputs.ports).toEqual([{ internal: 8080, ip: "127.0.0.1" }]);
    expect(registry.one(CONTAINER, "gateway-0").inputs.networksAdvanced).toEqual([{ name: "cp3-ci-unit-edge", aliases: ["gateway", "gateway"] }, { name: "cp3-ci-unit-data" }]);
    expect(registry.one(CONTAINER, "worker-1").inputs.networksAdvanced).toEqual([{ name: "cp3-ci-unit-data", aliases: ["worker", "worker-1"] }]);
    expect(registry.one(CONTAINER, "worker-1").inputs.ports).toBeUndefined();
    expect(await valueOf(program.gatewayUrl)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

