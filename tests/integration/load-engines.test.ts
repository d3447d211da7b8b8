// The load engines on their own, against a server on 127.0.0.1 that answers at once: loadgen (built from Go
// modules by set-up) keeps a six-step stress plan within 3 % of every step and names every request by its own
// key; it stops cleanly on SIGTERM and refuses a bad plan. k6, the user's own tool, is driven through a fake `k6`
// that checks its arguments and answers in k6's formats; the real k6 runs only where one is installed.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstantServer, type InstantServer } from "../../bench/instant-server";
import { readLedger } from "../../integrity/ledger";
import { FigureBuilder } from "../../load/figures";
import { K6 } from "../../load/k6";
import { loadgenFrom, type Loadgen } from "../../load/loadgen";
import { planFor, RECORDS_REQUEST, stepStages, type LoadPlan } from "../../load/plan";
import { findK6 } from "../../load/select";
import { findOnPath } from "../../lib/which";
import { K6_MINIMUM } from "../../toolchain/external-k6";
import { atLeast, parseVersion } from "../../toolchain/tools";
import { binDir, setup } from "../../toolchain/setup";

/** A k6 the user installed (k6 is never built or downloaded here), found at collection time. */
function installedK6(): { path: string; version: string } | undefined {
  const found = findOnPath("k6", binDir());
  const version = found ? parseVersion(spawnSync(found, ["version"], { encoding: "utf8" }).stdout ?? "") : undefined;
  return found && version && atLeast(version, K6_MINIMUM) ? { path: found, version } : undefined;
}
const realK6 = installedK6();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-engines-"));
let server: InstantServer;
let loadgen: Loadgen;

beforeAll(async () => {
  const { toolchain, missing } = await setup({ checkOnly: true });
  expect(missing).toEqual([]);
  loadgen = loadgenFrom(toolchain);
  server = await startInstantServer({ record: true });
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const files = (name: string) => ({ planFile: path.join(work, `${name}-plan.json`), summaryFile: path.join(work, `${name}-summary.json`), ledgerFile: path.join(work, `${name}-ledger.jsonl`), logName: `test-engine-${name}` });

describe("loadgen", () => {
  it("keeps each of a stress plan's six steps within 3 % of plan, and every ledger key is its own request's", async () => {
    const plan: LoadPlan = { ...planFor({ profile: "stress", rate: 1200, durationSeconds: 60, baseUrl: server.url, keyPrefix: "ramp" }), ...stepStages(1200, 60) };
    const before = server.seen().length;
    const started = Date.now();
    const run = await loadgen.run({ plan, scenario: "stress", ...files("ramp") });
    expect(run, fs.readFileSync(run.log, "utf8")).toMatchObject({ exitCode: 0, status: "completed" });

    const ledger = await readLedger([files("ramp").ledgerFile]);
    const figures = new FigureBuilder(started, plan);
    for (const e of ledger) figures.add(e);
    const holds = figures.scheduleKept(plan).filter((s) => s.kind === "hold");
    expect(holds.map((s) => s.targetRps)).toEqual([200, 400, 600, 800, 1000, 1200]);
    for (const s of holds) expect(Math.abs(s.deviationPct), JSON.stringify(s)).toBeLessThanOrEqual(3);
    expect(figures.figures().acknowledged).toBe(ledger.length);

    // The server saw each request's key in the URL and in the header, and the ledger names exactly those keys.
    const seen = server.seen().slice(before);
    expect(seen.every((r) => r.k === r.header)).toBe(true);
    expect(new Set(ledger.map((e) => e.k))).toEqual(new Set(seen.map((r) => r.k)));
    expect(new Set(ledger.map((e) => e.k)).size).toBe(ledger.length);
    expect(run.lagMs?.p99).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it("puts each request's own key in a templated path, /api/orders/{{key}}, equal to its k and its ledger key", async () => {
    const request = { ...RECORDS_REQUEST, method: "PUT" as const, path: "/api/orders/{{key}}" };
    const plan = planFor({ profile: "smoke", rate: 100, durationSeconds: 5, baseUrl: server.url, keyPrefix: "orders", request });
    const before = server.seen().length;
    const run = await loadgen.run({ plan, scenario: "smoke", ...files("path") });
    expect(run, fs.readFileSync(run.log, "utf8")).toMatchObject({ exitCode: 0, status: "completed" });

    const ledger = await readLedger([files("path").ledgerFile]);
    const seen = server.seen().slice(before);
    expect(ledger.length).toBeGreaterThan(400); // 500 planned; a loaded machine may drop a few
    expect(seen.length).toBe(ledger.length);
    expect(ledger.every((e) => e.s === 202)).toBe(true);
    expect(seen.filter((r) => r.path !== `/api/orders/${r.k}` || r.header !== r.k)).toEqual([]);
    expect(new Set(seen.map((r) => r.k)).size).toBe(seen.length);
    expect(new Set(ledger.map((e) => e.k))).toEqual(new Set(seen.map((r) => r.k)));
  }, 60_000);

  it("stops on SIGTERM with exit 3, keeping whole ledger lines and writing its summary", async () => {
    const plan = planFor({ profile: "smoke", rate: 200, durationSeconds: 60, baseUrl: server.url, keyPrefix: "stop" });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 3_000);
    const run = await loadgen.run({ plan, scenario: "smoke", ...files("stop"), signal: abort.signal });
    expect(run).toMatchObject({ exitCode: 3, status: "interrupted" });
    const ledger = await readLedger([files("stop").ledgerFile]);
    expect(ledger.length).toBeGreaterThan(300);
    expect(ledger.length).toBeLessThan(2_000);
    expect(JSON.parse(fs.readFileSync(files("stop").summaryFile, "utf8"))).toMatchObject({ engine: "loadgen", interrupted: true });
  }, 60_000);

  it("refuses a bad plan with exit 2, naming the field, and sends nothing", async () => {
    const before = server.count();
    const plan = { ...planFor({ profile: "smoke", durationSeconds: 10, baseUrl: server.url, keyPrefix: "bad" }), stages: [{ target: -5, seconds: 10 }] };
    const run = await loadgen.run({ plan, scenario: "smoke", ...files("bad") });
    expect(run).toMatchObject({ exitCode: 2, status: "error" });
    expect(fs.readFileSync(run.log, "utf8")).toMatch(/stages\[0\]\.target/);
    expect(server.count()).toBe(before);
  });
});

/** A stand-in for k6 that checks how it is called and answers as k6 does: its ledger lines and summary. */
function fakeK6(dir: string): string {
  const file = path.join(dir, "k6");
  fs.writeFileSync(
    file,
    `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
if (args[0] === "version") { console.log("k6 v1.4.2 (fake, go1.24)"); process.exit(0); }
const fail = (m) => { console.error("fake k6: " + m); process.exit(104); };
const want = ["run", "--quiet", "--no-usage-report", "--log-format", "raw", "--console-output"];
if (JSON.stringify(args.slice(0, 6)) !== JSON.stringify(want)) fail("unexpected arguments " + JSON.stringify(args));
const [ledger, script] = args.slice(6);
if (!/loadtests\\/smoke\\.js$/.test(script) || !fs.existsSync(script)) fail("no such script " + script);
const plan = JSON.parse(fs.readFileSync(process.env.CP3_PLAN, "utf8"));
const options = JSON.parse(fs.readFileSync(process.env.CP3_K6_OPTIONS, "utf8"));
if (options.scenarios.smoke.rate !== plan.stages[0].target) fail("options do not match the plan");
const now = Date.now();
fs.writeFileSync(ledger, [0, 1, 2].map((n) => JSON.stringify({ t: now + n, k: plan.keyPrefix + "-" + n, s: n === 2 ? 0 : 202, d: 3.5, ...(n === 2 ? { e: 1050 } : {}) })).join("\\n") + "\\n");
const ok = process.env.FAKE_K6_EXIT === "0";
fs.writeFileSync(process.env.SUMMARY_FILE, JSON.stringify({ metrics: { http_req_failed: { values: { rate: 1 / 3 }, thresholds: { "rate==0": { ok } } } } }));
process.exit(Number(process.env.FAKE_K6_EXIT));
`,
  );
  fs.chmodSync(file, 0o755);
  return file;
}

describe("k6, the user's own", () => {
  it("is called with the plan and the translated options, and its exit code and summary are read", async () => {
    const k6 = await findK6(fakeK6(work));
    expect(k6.info).toEqual({ name: "k6", version: "1.4.2", path: path.join(work, "k6") });
    const plan = planFor({ profile: "smoke", rate: 7, durationSeconds: 10, baseUrl: server.url, keyPrefix: "fake" });
    for (const [exit, status, passed] of [["99", "completed", false], ["0", "completed", true], ["107", "error", false]] as const) {
      const run = await k6.run({ plan, scenario: "smoke", ...files(`fake${exit}`), env: { FAKE_K6_EXIT: exit } });
      expect(run, fs.readFileSync(run.log, "utf8")).toMatchObject({ exitCode: Number(exit), status, script: "loadtests/smoke.js" });
      expect(run.engineThresholds).toEqual([{ name: "http_req_failed", condition: "rate==0", passed, observed: 1 / 3, detail: `k6 observed rate = ${1 / 3}` }]);
      expect((await readLedger([files(`fake${exit}`).ledgerFile])).map((e) => [e.k, e.s, e.e])).toEqual([["fake-0", 202, undefined], ["fake-1", 202, undefined], ["fake-2", 0, 1050]]);
    }
  });

  it("is refused with a way out when it is missing or does not run", async () => {
    await expect(findK6(path.join(work, "no-such-k6"))).rejects.toThrow(/does not run as k6 .*install k6 yourself/);
  });

  // k6 is never built or downloaded here; this runs only where the user installed one, and is skipped otherwise.
  it.skipIf(!realK6)("the real k6 runs the smoke script from the plan and writes the ledger", async () => {
    const k6 = new K6(realK6!.path, realK6!.version);
    const plan = planFor({ profile: "smoke", rate: 20, durationSeconds: 5, baseUrl: server.url, keyPrefix: "realk6" });
    const run = await k6.run({ plan, scenario: "smoke", ...files("realk6") });
    expect(run, fs.readFileSync(run.log, "utf8")).toMatchObject({ exitCode: 0, status: "completed" });
    const ledger = await readLedger([files("realk6").ledgerFile]);
    expect(ledger.length).toBeGreaterThanOrEqual(95);
    expect(ledger.every((e) => e.s === 202 && e.k.startsWith("realk6-"))).toBe(true);
  }, 60_000);
});
