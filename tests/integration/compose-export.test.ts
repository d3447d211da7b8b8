// The Compose export on a real engine: a ci stack up through the Automation API, `cp3 export compose` of it,
// and Docker Compose bringing the file up under a project name of its own beside the stack — every service
// healthy, the jobs completed, the entry answering on 127.0.0.1, a record carried through the whole path — then
// `down -v` removing all of it. The stack is destroyed in afterAll whatever happened; nothing may be left.
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComposeFile } from "../../export/compose";
import * as docker from "../../lib/docker-api";
import { freeLocalPort } from "../../lib/free-port";
import { getJson, waitForOk } from "../../lib/http-probe";
import { poll } from "../../lib/poll";
import { newRunId } from "../../lib/run-id";
import { destroyStack, leftovers, openStack, stackOutputs, upStack } from "../../lifecycle/stacks";
import { ensureDebianPackages } from "../../toolchain/engine";
import { setup, type Toolchain } from "../../toolchain/setup";
import { runCli } from "./cli-process";

const run = newRunId();
const name = `ci-cx-${run}`;
const project = `cp3x-${run}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-compose-it-"));
const file = path.join(dir, "docker-compose.yml");
let toolchain: Toolchain;
let stack: Stack | undefined;
/** `docker compose` (v2) when the engine's CLI has it, else `docker-compose` (Debian's 1.29.2 here). */
let composeCommand: string[] = [];
let composeVersion = "";
let entryPort = 0;

function exec(command: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: String(err) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const compose = (args: string[], timeoutMs = 300_000) => exec([...composeCommand, "-p", project, "-f", file, ...args], timeoutMs);
const projectLabel = { "com.docker.compose.project": project };

beforeAll(async () => {
  const result = await setup({ checkOnly: true });
  expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  toolchain = result.toolchain;
  const v2 = await exec(["docker", "compose", "version", "--short"], 30_000);
  if (v2.code === 0) {
    composeCommand = ["docker", "compose"];
  } else {
    await ensureDebianPackages({ "docker-compose": "docker-compose" }, "docker-compose (Debian's package)");
    composeCommand = ["docker-compose"];
  }
  composeVersion = (await exec([...composeCommand, "version"], 30_000)).output.split("\n")[0] ?? "";
  process.stderr.write(`compose export test: ${composeCommand.join(" ")}: ${composeVersion}\n`);
  stack = await openStack(name, toolchain);
}, 600_000);

afterAll(async () => {
  // Clean up even when an assertion failed: the Compose project first (it may hold nothing of the stack's), then the stack.
  if (fs.existsSync(file) && composeCommand.length > 0) await compose(["down", "-v", "--remove-orphans"], 120_000);
  if (stack) await destroyStack(stack, { remove: true });
  fs.rmSync(dir, { recursive: true, force: true });
}, 600_000);

describe("cp3 export compose on a real engine", () => {
  it("refuses a stack that was never up, naming the command to run, and writes nothing", async () => {
    const r = await runCli(["export", "compose", "--stack", name, "--out", file], 120_000);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toContain(`cp3: stack ${name} has no image refs in its outputs: it was never up (or not since the images output exists); run \`npm run cp3 -- up --stack ${name}\` first`);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(path.join(dir, "secrets"))).toBe(false);
  }, 180_000);

  it("exports an up ci stack: its images, the password only in secrets/ (0700), ports only on 127.0.0.1", async () => {
    await upStack(stack!);
    entryPort = await freeLocalPort();
    const r = await runCli(["export", "compose", "--stack", name, "--out", file, "--entry-port", String(entryPort)], 120_000);
    expect(r.code, r.output).toBe(0);
    const text = fs.readFileSync(file, "utf8");
    const exported = parse(text, { version: "1.1" }) as ComposeFile;
    const outputs = (await stackOutputs(stack!, true)) as { postgresDsn: string; images: { services: Record<string, string> } };
    const password = decodeURIComponent(new URL(outputs.postgresDsn).password);
    expect(text).not.toContain(password);
    expect(fs.statSync(path.join(dir, "secrets")).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(dir, "secrets", "postgres-password"), "utf8")).toBe(password);
    expect(Object.keys(exported.services)).toEqual(["nats-0", "postgres", "toxiproxy", "jetstream", "migration", "gateway", "worker-0", "worker-1"]);
    // The ci stack has TLS: so has its export, with a CA of its own (the record below goes the whole way over it).
    expect(exported.services["nats-0"]!.environment.NATS_CONFIG).toContain("tls {");
    expect(fs.readdirSync(path.join(dir, "secrets")).sort()).toEqual(["postgres-dsn-direct", "postgres-dsn-proxied", "postgres-password", "tls-ca", "tls-server-cert", "tls-server-key"]);
    const exportCa = new X509Certificate(fs.readFileSync(path.join(dir, "secrets", "tls-ca"), "utf8"));
    expect(exportCa.subject).toBe(`CN=cp3 compose CA ${name}`);
    expect(exportCa.raw.equals(new X509Certificate((outputs as unknown as { tls: { caCert: string } }).tls.caCert).raw)).toBe(false);
    expect(exported.services.gateway!.image).toBe(outputs.images.services.gateway);
    for (const s of Object.values(exported.services)) for (const p of s.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
    expect(exported.services.gateway!.ports).toEqual([`127.0.0.1:${entryPort}:8080`]);
  }, 900_000);

  it("comes up under another project name beside the stack: every service healthy, the jobs completed, the entry ready", async () => {
    const up = await compose(["up", "-d"]);
    expect(up.code, up.output).toBe(0);
    const exported = parse(fs.readFileSync(file, "utf8"), { version: "1.1" }) as ComposeFile;
    const jobs = Object.entries(exported.services).filter(([, s]) => s.restart === "no").map(([n]) => n);
    expect(jobs).toEqual(["jetstream", "migration"]);
    const state = async () => {
      const byService: Record<string, docker.ContainerInspect> = {};
      for (const c of await docker.containersWithLabels(projectLabel)) {
        const inspect = await docker.inspectContainer(c.Id);
        byService[inspect.Config.Labels["com.docker.compose.service"] ?? inspect.Name] = inspect;
      }
      return byService;
    };
    const settled = await poll(
      async () => {
        const s = await state();
        const ok = Object.keys(exported.services).every((n) => (jobs.includes(n) ? s[n]?.State.Status === "exited" : s[n]?.State.Health?.Status === "healthy"));
        return ok ? s : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, what: `every service of ${project} healthy and its jobs exited` },
    );
    expect(settled.done, JSON.stringify(Object.fromEntries(Object.entries(await state()).map(([n, c]) => [n, c.State])))).toBe(true);
    const containers = settled.done ? settled.value : {};
    expect(Object.keys(containers).sort()).toEqual(Object.keys(exported.services).sort());
    for (const j of jobs) expect(containers[j]!.State.ExitCode, j).toBe(0);
    for (const [n, c] of Object.entries(containers)) {
      expect(c.Config.User, n).toMatch(/^100\d\d:100\d\d$/);
      expect(c.HostConfig.ReadonlyRootfs, n).toBe(true);
      expect(c.HostConfig.CapDrop, n).toEqual(["ALL"]);
      expect(c.HostConfig.SecurityOpt, n).toEqual(["no-new-privileges:true"]);
      expect(c.HostConfig.Memory, n).toBeGreaterThan(0);
      expect(c.HostConfig.NanoCpus, n).toBeGreaterThan(0);
      for (const bindings of Object.values(c.NetworkSettings.Ports ?? {})) for (const b of bindings ?? []) expect(b.HostIp, n).toBe("127.0.0.1");
    }
    const data = (await docker.networksWithLabels(projectLabel)).find((n) => n.Name.endsWith("_data"));
    expect(data?.Internal).toBe(true);

    // The entry answers on its 127.0.0.1 port, and a record goes the whole way (gateway -> JetStream -> worker -> PostgreSQL).
    const base = `http://127.0.0.1:${entryPort}`;
    expect(await waitForOk(`${base}/readyz`, 60_000)).toBe(200);
    const accepted = await fetch(`${base}/v1/records?k=${run}`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": run }, body: '{"payload":{"n":1}}' });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const processed = await poll(async () => ((await getJson<{ state: string }>(`${base}/v1/records/${id}`)).body?.state === "processed" ? true : undefined), { timeoutMs: 30_000, intervalMs: 500, what: `record ${id} processed` });
    expect(processed.done).toBe(true);
    // The stack beside it is untouched: all its containers but its two finished jobs (and its secret holders,
    // which never run) still run.
    const stopped = (await docker.containersWithLabels({ "cp3.stack": name })).filter((c) => c.State !== "running" && c.Labels["cp3.purpose"] !== "secret-holder").map((c) => c.Names[0]);
    expect(stopped.sort()).toEqual([`/cp3-${name}-jetstream-setup`, `/cp3-${name}-migration-apply`]);
  }, 600_000);

  it("down -v removes every container, network and volume of the project; destroy leaves nothing of the stack", async () => {
    const down = await compose(["down", "-v"], 120_000);
    expect(down.code, down.output).toBe(0);
    expect(await docker.containersWithLabels(projectLabel)).toEqual([]);
    expect(await docker.networksWithLabels(projectLabel)).toEqual([]);
    expect(await docker.volumesWithLabels(projectLabel)).toEqual([]);
    await destroyStack(stack!, { remove: true });
    stack = undefined;
    expect(await leftovers(name)).toEqual([]);
  }, 600_000);
});
