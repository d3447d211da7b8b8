// The system description: the reference workload is one valid description; a description with several mistakes
// is refused with every one named (field, what it got, what is allowed); files load with their paths resolved.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../stacks/config";
import { loadSpecFile } from "../../testbed/load";
import { referenceWorkload } from "../../testbed/presets/reference";
import { secretFilesOf, type TestbedSpecInput } from "../../testbed/spec";
import { SpecError, validateSpec } from "../../testbed/validate";

const ciConfig = () => parseConfig({ "cp3:kind": "ci" }, "ci");

const minimal = (): TestbedSpecInput => ({
  name: "orders",
  nats: { streams: [{ name: "ORDERS", subjects: ["orders.>"] }], consumers: [{ stream: "ORDERS", name: "fulfil" }] },
  postgres: { databases: [{ name: "orders", migrations: "./migrations" }] },
  services: [
    { name: "api", image: { build: { context: "." } }, ports: [{ port: 8000, entry: true }], env: { NATS_URL: { from: "nats.url" } }, dependsOn: ["nats", "postgres", "migrations"] },
    { name: "fulfil", image: { local: "orders:dev" }, replicas: 2, env: { API: { from: "service:api.url" } }, dependsOn: ["api"] },
  ],
  drive: { entry: "api", request: { method: "PUT", path: "/api/orders/{{key}}", idempotencyHeader: "X-Request-Id" } },
  oracle: { sql: { database: "orders", query: "SELECT 1" } },
});

const problemsOf = (input: unknown): string[] => {
  try {
    validateSpec(input);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  return [];
};

describe("the reference workload as a description", () => {
  it("is valid, with the stack's settings in it and every default filled in", () => {
    const spec = validateSpec(referenceWorkload(ciConfig(), "/w"));
    expect(spec.services.map((s) => [s.name, s.image, s.replicas, s.roles])).toEqual([
      ["gateway", { flow: "gateway" }, 1, ["gateway", "entry"]],
      ["worker", { flow: "worker" }, 2, ["worker", "consumer"]],
    ]);
    expect(spec.services[0]!.env.CONTAINER_NATS__URL).toEqual({ from: "nats.url" });
    expect(spec.services[0]!.env.CONTAINER_NATS__SUBJECT).toBe("records.new");
    expect(spec.nats.consumers).toEqual([{ stream: "RECORDS", name: "workers", maxAckPending: 1000, ackWaitSeconds: 30, maxDeliver: 10 }]);
    expect(spec.drive).toMatchObject({ entry: "gateway", healthPath: "/readyz", timeoutSeconds: 10, request: { method: "POST", path: "/v1/records", idempotencyHeader: "idempotency-key" } });
    expect(spec.oracle).toMatchObject({ sql: { database: "postgres" } });
    expect(spec.services[0]!.user).toBe("10002:10002");
    expect(spec.services.every((s) => s.hotReload.length === 0)).toBe(true);
  });
});

describe("validateSpec", () => {
  it("accepts a minimal foreign system and fills in the defaults", () => {
    const spec = validateSpec(minimal());
    expect(spec.nats).toMatchObject({ replicas: 1, storeMiB: 256, memoryMiB: 512 });
    expect(spec.services[1]).toMatchObject({ replicas: 2, roles: [], networks: ["data"], memoryMiB: 256, cpus: 0.5, user: "10002:10002", ports: [] });
    expect(spec.services[0]!.image).toEqual({ build: { context: ".", dockerfile: "Dockerfile", args: {} } });
  });

  it("refuses a description with five different mistakes, naming all five, before anything exists", () => {
    const bad = minimal() as Record<string, unknown> & { services: Record<string, unknown>[]; nats: Record<string, unknown> };
    bad.nats.replicas = 2; // 1 or 3
    bad.services[0]!.user = "0:0"; // root
    bad.services[1]!.image = { pull: "docker.io/orders" }; // nothing is pulled
    bad.services[1]!.replicas = 40; // at most 16
    bad.colour = "blue"; // unknown key
    expect(problemsOf(bad)).toEqual([
      'nats.replicas: got 2; allowed: 1 or 3 (a JetStream cluster needs a majority)',
      'services[0].user: got "0:0"; allowed: a numeric uid:gid, not 0',
      'services[1].image: got {"pull":"docker.io/orders"}; allowed: {build: {context, dockerfile?, args?}}, {local: <image in the engine>} or {flow: <reference workload flow>}',
      "services[1].replicas: got 40; allowed: at most 16",
      "colour: unknown key; allowed: only the keys the description's schema names (testbed/spec.ts)",
    ]);
  });

  it("checks what spans fields: names that must exist, one entry, memory for the tmpfs", () => {
    const bad = minimal();
    bad.services[1]!.dependsOn = ["fulfil", "redis"];
    bad.services[1]!.env = { API: { from: "service:nope.url" }, DB_PASSWORD: { from: "postgres.password" }, DSN_FILE: { from: "postgres.dsn" }, CA: { from: "tls.ca" } };
    bad.services[1]!.ports = [{ port: 9000, entry: true }];
    bad.drive.entry = "web";
    bad.nats!.consumers = [{ stream: "EVENTS", name: "x" }];
    bad.nats!.memoryMiB = 100;
    bad.oracle = { sql: { database: "shop", query: "SELECT 1" } };
    bad.services[0]!.tmpfs = [{ path: "/tmp", sizeMiB: 32 }];
    bad.services[0]!.volumes = [{ path: "/var/spool/x", sizeMiB: 64 }, { path: "/tmp", sizeMiB: 64 }, { path: "/var/spool/x", sizeMiB: 8 }];
    expect(problemsOf(bad)).toEqual([
      'services[0].volumes[1].path: got "/tmp"; allowed: a directory other than /, /run/secrets (the secret files), the tmpfs paths and the other volumes (/run/secrets, /tmp, /var/spool/x)',
      'services[0].volumes[2].path: got "/var/spool/x"; allowed: a directory other than /, /run/secrets (the secret files), the tmpfs paths and the other volumes (/run/secrets, /tmp, /var/spool/x)',
      'services[1].dependsOn[0]: got "fulfil"; allowed: nats, postgres, migrations, api',
      'services[1].dependsOn[1]: got "redis"; allowed: nats, postgres, migrations, api',
      'services[1].env.API.from: got "service:nope.url"; allowed: service:<name>.url of a service with a port (api, fulfil)',
      "services[1].env.DB_PASSWORD: got {from: postgres.password}, a secret; allowed: a variable named *_FILE (DB_PASSWORD_FILE), which gets the path of a file holding the value (secrets never reach a container as a variable)",
      "services[1].env.CA: got {from: tls.ca}, a file; allowed: a variable named *_FILE (CA_FILE), which gets the path of a file holding the value (secrets never reach a container as a variable)",
      "services[1].replicas: got 2; allowed: 1 for the entry service (its port is published on 127.0.0.1)",
      "services: api and fulfil both have an entry port; allowed: one entry port in the whole system",
      'drive.entry: got "web"; allowed: a service\'s name (api, fulfil)',
      'nats.consumers[0].stream: got "EVENTS"; allowed: a stream of nats.streams (ORDERS)',
      "nats.memoryMiB: got 100; allowed: at least nats.storeMiB + 64 (320), since the tmpfs store counts against the memory limit",
      'oracle.sql.database: got "shop"; allowed: postgres, orders',
    ]);
  });
});

describe("loadSpecFile", () => {
  it("reads YAML, and resolves build contexts, migrations and hot-reload sources against the file's folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-spec-"));
    try {
      const file = path.join(dir, "system.yaml");
      fs.writeFileSync(file, JSON.stringify(minimal()).replace(/^/, "# a comment is fine\n"));
      const spec = loadSpecFile(file);
      expect(spec.services[0]!.image).toEqual({ build: { context: dir, dockerfile: "Dockerfile", args: {} } });
      expect(spec.postgres.databases[0]!.migrations).toBe(path.join(dir, "migrations"));
      fs.writeFileSync(file, "name: [unclosed");
      expect(() => loadSpecFile(file)).toThrow(`${file}: not YAML or JSON`);
      expect(() => loadSpecFile(path.join(dir, "missing.yaml"))).toThrow("cannot be read (ENOENT)");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives each service the files its wired values name, the CA beside a DSN when TLS is on", () => {
    const env = { PW_FILE: { from: "postgres.password" as const }, DSN_FILE: { from: "postgres.dsn" as const }, HOST: { from: "postgres.host" as const }, PLAIN: "x" };
    expect(secretFilesOf({ env }, true)).toEqual({ "postgres-password": "postgres-password", "postgres-dsn": "postgres-dsn-proxied" });
    expect(secretFilesOf({ env }, false, true)).toEqual({ "postgres-password": "postgres-password", "postgres-dsn": "postgres-dsn-direct", "tls-ca": "tls-ca" });
    expect(secretFilesOf({ env: { CA_FILE: { from: "tls.ca" } } }, false, true)).toEqual({ "tls-ca": "tls-ca" });
    expect(secretFilesOf({ env: { HOST: { from: "postgres.host" } } }, false, true)).toEqual({});
  });
});
