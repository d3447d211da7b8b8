// The whole testbed through the Automation API and the real engine: two ci stacks up side by side, every
// service healthy and hardened, a change to one flow replacing only that flow, and nothing left after destroy.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, leftovers, openStack, stackOutputs, upStack } from "../../lifecycle/stacks";
import { newRunId } from "../../lib/run-id";
import * as docker from "../../lib/docker-api";
import { getJson } from "../../lib/http-probe";
import { projectRoot } from "../../lib/paths";
import { setup, type Toolchain } from "../../toolchain/setup";
import type { TestbedImageRefs } from "../../components/testbed";
import { formatScan, imagesOf, scanImages } from "../../supply-chain/scan";
import { newestVersions } from "../../supply-chain/debian-index";
import { compareDebianVersions } from "../../supply-chain/debian-version";
import { rootBuildListsDir } from "../../toolchain/rootfs";

interface Outputs {
  gatewayUrl: string;
  natsMonitorUrl: string;
  toxiproxyUrl: string;
  containers: { nats: string[]; postgres: string; toxiproxy: string; gateway: string[]; worker: string[] };
  networks: { edge: string; data: string };
  tls: { enabled: boolean };
}

const run = newRunId();
const names = [`ci-it-${run}-a`, `ci-it-${run}-b`];
let toolchain: Toolchain;
const stacks: Stack[] = [];
const outputs: Outputs[] = [];

beforeAll(async () => {
  // `npm test` ran the set-up; if anything is missing, say what instead of skipping.
  const result = await setup({ checkOnly: true });
  expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  toolchain = result.toolchain;
  for (const name of names) stacks.push(await openStack(name, toolchain));
  // Two ci stacks at once on one engine.
  const ups = await Promise.all(stacks.map((s) => upStack(s)));
  for (const up of ups) outputs.push(up.outputs as unknown as Outputs);
}, 900_000);

afterAll(async () => {
  // Clean up even when an assertion failed, like testcontainers does.
  await Promise.allSettled(stacks.map((s) => destroyStack(s, { remove: true })));
}, 600_000);

const allContainers = (o: Outputs) => [...o.containers.nats, o.containers.postgres, o.containers.toxiproxy, ...o.containers.gateway, ...o.containers.worker];

describe("two ci stacks side by side on a real engine", () => {
  it("run every service healthy, with distinct names, networks and host ports", async () => {
    const [a, b] = outputs as [Outputs, Outputs];
    for (const o of [a, b]) {
      for (const name of allContainers(o)) expect((await docker.inspectContainer(name)).State.Health?.Status, name).toBe("healthy");
    }
    expect(new Set([...allContainers(a), ...allContainers(b)]).size).toBe(allContainers(a).length * 2);
    expect(a.networks.data).not.toBe(b.networks.data);
    expect(a.gatewayUrl).not.toBe(b.gatewayUrl);
    expect(a.toxiproxyUrl).not.toBe(b.toxiproxyUrl);
  });

  it("serves the gateway, the JetStream stream and consumer, and the migrated schema", async () => {
    const o = outputs[0]!;
    expect((await getJson(`${o.gatewayUrl}/healthz`)).status).toBe(200);
    expect((await getJson<{ ready: boolean }>(`${o.gatewayUrl}/readyz`)).body?.ready).toBe(true);
    const jsz = await getJson<{ streams: number; consumers: number; config: { store_dir: string } }>(`${o.natsMonitorUrl}/jsz`);
    expect(jsz.body).toMatchObject({ streams: 1, consumers: 1, config: { store_dir: "/data/jetstream" } });
    const schema = await docker.exec(o.containers.postgres, ["psql", "-tAc", "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations"]);
    // Every migration file, applied in order.
    const files = fs.readdirSync(path.join(projectRoot, "workload", "migrations")).map((f) => f.replace(/\.sql$/, "")).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(schema).toEqual({ output: expect.stringMatching(new RegExp(`^${files.join(",")}\\s*$`)), exitCode: 0 });
    const proxies = await getJson<Record<string, { upstream: string }>>(`${o.toxiproxyUrl}/proxies`);
    expect(Object.keys(proxies.body ?? {}).sort()).toEqual(["host-nats", "host-nats-monitor", "host-postgres", "nats-0", "postgres"]);
  });

  it("isolates the data network and hardens every container", async () => {
    const o = outputs[0]!;
    const data = (await docker.networksWithLabels({ "cp3.stack": names[0]! })).find((n) => n.Name === o.networks.data);
    expect(data?.Internal).toBe(true);
    for (const name of allContainers(o)) {
      const c = await docker.inspectContainer(name);
      expect(c.Config.User, name).toMatch(/^100\d\d:100\d\d$/);
      expect(c.HostConfig.ReadonlyRootfs, name).toBe(true);
      expect(c.HostConfig.CapDrop, name).toEqual(["ALL"]);
      expect(c.HostConfig.SecurityOpt, name).toEqual(["no-new-privileges:true"]);
      expect(c.HostConfig.Memory, name).toBeGreaterThan(0);
      expect(c.HostConfig.NanoCpus, name).toBeGreaterThan(0);
      expect(c.Mounts.filter((m) => m.Type === "bind"), name).toEqual([]);
      // Ephemeral stacks say when the sweep may remove what they leave.
      expect(Date.parse(c.Config.Labels["cp3.expires"] ?? "") - Date.now(), name).toBeGreaterThan(5 * 3_600_000);
      for (const bindings of Object.values(c.NetworkSettings.Ports ?? {})) for (const b of bindings ?? []) expect(b.HostIp, name).toBe("127.0.0.1");
    }
    const store = await docker.exec(o.containers.nats[0]!, ["stat", "-f", "-c", "%T", "/data/jetstream"]);
    expect(store).toEqual({ output: expect.stringMatching(/^tmpfs\s*$/), exitCode: 0 });
  });

  it("delivers the PostgreSQL password and the TLS key only as files of the service's user: never in inspect, logs or the state", async () => {
    const stack = stacks[0]!;
    const o = outputs[0]!;
    const dsn = (await stackOutputs(stack, true)).postgresDsn as string;
    const password = decodeURIComponent(new URL(dsn).password);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // TLS is on in ci stacks: the servers' private key is a secret too (its first line of base64 stands for it,
    // as JSON escapes the PEM's line breaks).
    expect(o.tls.enabled).toBe(true);
    const keyPem = (await docker.exec(o.containers.nats[0]!, ["cat", "/run/secrets/tls-server-key"])).output;
    const key = keyPem.split("\n")[1]!;
    expect(key).toMatch(/^[A-Za-z0-9+/]{40,}/);
    const secrets = { password, "TLS key": key };
    // Every container of the stack: the finished jobs, and the secret holders of postgres, the migration, the
    // gateway, the worker, the NATS servers' certificate and the JetStream set-up's CA, included; and the
    // monitoring (on in ci stacks): Prometheus, the three exporters (PostgreSQL, NATS, containers), the PostgreSQL
    // exporter's holder, Alertmanager, its sink and Jaeger.
    const containers = (await docker.containersWithLabels({ "cp3.stack": names[0]! })).map((c) => c.Names[0]!.replace(/^\//, ""));
    expect(containers.length).toBe(allContainers(o).length + 2 + 6 + 8);
    for (const name of containers) {
      const inspect = JSON.stringify(await docker.inspectContainer(name));
      const logs = await docker.containerLogs(name);
      for (const [what, value] of Object.entries(secrets)) {
        expect(inspect.includes(value), `${what} in docker inspect ${name}`).toBe(false);
        expect(logs.includes(value), `${what} in docker logs ${name}`).toBe(false);
      }
    }
    // The CLI's own export, without --show-secrets (the Automation API's exportStack decrypts every secret).
    const workspace = stack.workspace as LocalWorkspace;
    const state = execFileSync(path.join(toolchain.binDir, "pulumi"), ["stack", "export", "--stack", names[0]!], { cwd: workspace.workDir, env: { ...process.env, ...workspace.envVars }, encoding: "utf8", maxBuffer: 64 << 20 });
    expect(state.length).toBeGreaterThan(10_000);
    for (const [what, value] of Object.entries(secrets)) expect(state.includes(value), `${what} in pulumi stack export`).toBe(false);
    // The files themselves: the service's own user, read-only to it alone, holding the password.
    for (const [name, owner] of [[o.containers.postgres, "10003:10003"], ...[...o.containers.gateway, ...o.containers.worker].map((n) => [n, "10002:10002"])] as [string, string][]) {
      expect(await docker.exec(name, ["stat", "-c", "%u:%g %a", "/run/secrets/postgres-password"]), name).toEqual({ output: `${owner} 400\n`, exitCode: 0 });
      expect((await docker.exec(name, ["cat", "/run/secrets/postgres-password"])).output === password, name).toBe(true);
      // Mounted read-only: a service cannot change its own secrets.
      expect((await docker.exec(name, ["sh", "-c", "echo x > /run/secrets/postgres-password"])).exitCode, name).not.toBe(0);
    }
    console.log(`no secret in: docker inspect and docker logs of ${containers.length} containers (${containers.join(", ")}); the stack's state (${state.length} bytes)`);
  });

  it("runs images that pass the image checks and carry every Debian security update out when they were built", async () => {
    const scan = await scanImages(imagesOf((outputs[0] as unknown as { images: TestbedImageRefs }).images));
    expect(scan.images.map((i) => i.uses.join(",")).sort()).toEqual(["migrate:postgres", "monitoring", "nats", "postgres", "service:gateway", "service:worker", "toxiproxy"]);
    expect(scan.images.flatMap((i) => i.findings)).toEqual([]);
    for (const i of scan.images) expect(i.packages, i.image).toBeGreaterThan(50);
    // An update published since the root was made (it is remade monthly) may be pending; one that was out when
    // it was made (in the package lists it was upgraded from) must be installed in every image.
    const lists = rootBuildListsDir();
    const atRootBuild = new Map<string, string>();
    for (const f of fs.readdirSync(lists)) {
      for (const [name, v] of newestVersions(fs.readFileSync(path.join(lists, f), "utf8"), "amd64", compareDebianVersions)) {
        if (!atRootBuild.has(name) || compareDebianVersions(v, atRootBuild.get(name)!) > 0) atRootBuild.set(name, v);
      }
    }
    expect(atRootBuild.size).toBeGreaterThan(1000);
    for (const i of scan.images) {
      for (const p of i.pending) expect(compareDebianVersions(p.version, atRootBuild.get(p.name) ?? "0"), `${i.image}: ${p.name} ${p.version}, but ${atRootBuild.get(p.name)} was out when the root was made`).toBeGreaterThanOrEqual(0);
    }
    console.log(formatScan(scan).join("\n"));
  }, 300_000);

  it("rebuilds and replaces only the worker when only the worker's code changes", async () => {
    const source = path.join(projectRoot, "workload", "flows", "worker", "main.ts");
    const original = fs.readFileSync(source, "utf8");
    try {
      fs.writeFileSync(source, `${original}// changed by the integration test ${run}\n`);
      const { changes } = await upStack(stacks[0]!);
      // The container exporter watches the containers by id (their cgroups): new workers, new exporter. It holds
      // nothing (Prometheus keeps the series), and monitoring is off by default in the dev stack's hot reload.
      expect(changes).toEqual([
        "replace docker:index/container:Container container-exporter-0",
        "replace docker:index/container:Container worker-0",
        "replace docker:index/container:Container worker-1",
        "replace docker:index/remoteImage:RemoteImage flow-worker-image",
      ]);
    } finally {
      fs.writeFileSync(source, original);
    }
  }, 300_000);

  it("leaves no container, network or volume with either stack's label after destroy", async () => {
    await Promise.all(stacks.map((s) => destroyStack(s, { remove: true })));
    for (const name of names) expect(await leftovers(name)).toEqual([]);
    const remaining = (await stacks[0]!.workspace.listStacks()).map((s) => s.name);
    for (const name of names) expect(remaining).not.toContain(name);
  }, 600_000);
});
