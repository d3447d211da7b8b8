// `cp3 bench workload`: the highest request rate that keeps the gateway's p95 under 99 ms with zero errors,
// with NATS, PostgreSQL, the gateway, two workers and the load generator all on this machine; the accept-to-
// processed latency at that rate; where the CPU went at each rate; and, measured in the same run, the machine's
// ceilings (JetStream publish with `nats bench`, single-row insert transactions with `pgbench`), so the figure
// reads as a fraction of the limit. The sweep runs as ci stacks run (the flows reach NATS and PostgreSQL
// through Toxiproxy, `chaos.proxy: true`), then again from that knee up with the flows connected directly, and
// with TLS inside the testbed (`tls.enabled: true`, the flows verifying NATS and PostgreSQL), all rates, and last
// with the monitoring on (`observability.enabled: true`: Prometheus scraping every 5 s, the exporters), all rates,
// first without tracing, then with it (Jaeger, every request traced), with the memory the monitoring's containers
// hold at the end.
// The load comes from loadgen (the default engine) on the host, to the gateway's port published on 127.0.0.1.
import * as fs from "node:fs";
import * as path from "node:path";
import { forEachLedgerEntry } from "../integrity/ledger";
import { FigureBuilder } from "../load/figures";
import type { Loadgen } from "../load/loadgen";
import { planFor, type Slo } from "../load/plan";
import type { EngineInfo } from "../load/types";
import { during, formatSplit, type CpuSplit } from "./cpu";
import { startInstantServer } from "./instant-server";
import { destroyAlways, openStack, upStack } from "../lifecycle/stacks";
import * as docker from "../lib/docker-api";
import { memoryRssBytes } from "../chaos/cgroup";
import { MONITORING_COMPONENTS } from "../components/labels";
import { workDir } from "../lib/paths";
import { poll } from "../lib/poll";
import { say } from "../lib/progress";
import type { Toolchain } from "../toolchain/setup";

interface Outputs {
  gatewayUrl: string;
  networks: { edge: string };
  containers: { nats: string[]; postgres: string; gateway: string[] };
}

export interface StepResult {
  rate: number;
  achievedRps: number;
  p95Ms: number;
  p99Ms: number;
  failedRate: number;
  /** How late loadgen started requests against the plan's schedule (p99): coordinated omission shows here. */
  lagP99Ms: number;
  passed: boolean;
  /** loadgen's CPU per request, in microseconds, when the CPU split could be read. */
  engineUsPerRequest?: number;
  /** Where the CPU went during the step (% of one core), when it could be read. */
  cpu?: CpuSplit;
}

export interface Sweep {
  /** Whether the flows reached NATS and PostgreSQL through Toxiproxy. */
  proxy: boolean;
  /** Whether the flows reached them over TLS. */
  tls: boolean;
  /** Whether Prometheus and the exporters ran beside them. */
  observability: boolean;
  /** Whether the flows sent every request's spans to Jaeger (the requests carrying a sampled traceparent). */
  tracing: boolean;
  steps: StepResult[];
  bestRate: number;
  acceptToProcessedMs: { p50: number; p95: number } | undefined;
}

export interface BenchWorkloadFigures {
  /** How loadgen reached the gateway. */
  target: string;
  engine: EngineInfo;
  /** loadgen alone, against a server that answers at once. */
  engineOnInstantServer: { rate: number; achievedRps: number; usPerRequest: number; lagP99Ms: number };
  /** As ci runs (through Toxiproxy): the headline figure. */
  steps: StepResult[];
  bestRate: number;
  acceptToProcessedMs: { p50: number; p95: number } | undefined;
  /** The same stack with `chaos.proxy: false`, from the first sweep's knee up. */
  direct: Sweep | undefined;
  /** The same stack with `tls.enabled: true` (through Toxiproxy, as the first sweep), every rate. */
  tls: Sweep;
  /** The same stack with `observability.enabled: true`, tracing off (through Toxiproxy, TLS off, as the first sweep), every rate. */
  observability: Sweep;
  /** The same with tracing on, every request sampled, every rate. */
  tracing: Sweep;
  /** RSS of each monitoring container (Prometheus, the exporters, Jaeger) at the end of the last sweep, in bytes. */
  monitoringRssBytes: Record<string, number>;
  natsAsyncPublishMsgsPerSec: number;
  natsSyncPublishMsgsPerSec: number;
  pgInsertTps: number;
  goalRps: number;
}

const GOAL_RPS = 3000;
/**
 * loadgen shares the two cores with what it measures. GOMAXPROCS=1: one scheduler thread instead of one per core,
 * which on two busy cores spin and steal work from each other; GOGC=400: the collector runs a quarter as often.
 * The price is loadgen's own scheduling delay inside each measured latency, so these latencies are, if anything,
 * high; the start lag it reports shows how far behind the schedule it fell.
 */
const ENGINE_ENV = { GOMAXPROCS: "1", GOGC: "400" };
/** The bench's SLO: p95 under 99 ms, no failed request (p99 is reported, not gated). */
const BENCH_SLO: Slo = { p95Ms: 99, p99Ms: 1e9, maxFailedRate: 0 };

/** How a port published on 127.0.0.1 reaches a container: the kernel's NAT, or a docker-proxy process per port. */
async function publishedPortPath(): Promise<string> {
  const proxies = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p) && readComm(p) === "docker-proxy").length;
  return proxies === 0 ? "published port through the kernel's NAT, no docker-proxy" : `published port; ${proxies} docker-proxy process(es) running: this dockerd uses the userland proxy`;
}

function readComm(pid: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

async function psql(container: string, sql: string): Promise<string> {
  const r = await docker.exec(container, ["psql", "-tA", "-c", sql]);
  if (r.exitCode !== 0) throw new Error(`psql: ${r.output}`);
  return r.output.trim();
}

async function waitDrained(pg: string, timeoutMs: number): Promise<void> {
  const r = await poll(async () => ((await psql(pg, "SELECT count(*) FROM records WHERE state = 'pending'")) === "0" ? true : undefined), { timeoutMs, intervalMs: 500, what: "no record pending" });
  if (!r.done) say(`bench: records still pending after ${timeoutMs / 1000} s; the next step starts anyway`);
}

/** `nats bench js pub` inside the NATS container, on a file stream of its own (the store is a tmpfs, and the
 * server keeps no memory store); it must fit beside the RECORDS stream's reservation. msgs/sec from its report. */
async function natsPublish(container: string, mode: "async" | "sync", msgs: number): Promise<number> {
  const r = await docker.exec(
    container,
    ["sh", "-c", `HOME=/tmp USER=nats nats bench js pub ${mode} cp3bench.${mode} --server nats://127.0.0.1:4222 --msgs ${msgs} --size 128B --storage file --create --purge --maxbytes 24MB --stream cp3bench${mode} --no-progress 2>&1; HOME=/tmp USER=nats nats --server nats://127.0.0.1:4222 stream rm cp3bench${mode} -f >/dev/null 2>&1 || true`],
    300_000,
  );
  const m = /([\d,]+) msgs\/sec/.exec(r.output);
  if (!m) throw new Error(`nats bench ${mode} gave no figure:\n${r.output.slice(-800)}`);
  return Number(m[1]!.replace(/,/g, ""));
}

/** pgbench: single-row insert transactions from 8 clients for 10 s, inside the PostgreSQL container. */
async function pgInserts(container: string): Promise<number> {
  await psql(container, "CREATE TABLE IF NOT EXISTS cp3bench (id uuid PRIMARY KEY, payload jsonb NOT NULL)");
  const r = await docker.exec(
    container,
    ["sh", "-c", `cat > /tmp/insert.sql <<'SQL'\nINSERT INTO cp3bench VALUES (gen_random_uuid(), '{"n": 1}');\nSQL\npgbench -n -c 8 -j 2 -T 10 -f /tmp/insert.sql postgres 2>&1`],
    120_000,
  );
  await psql(container, "DROP TABLE cp3bench");
  const m = /tps = ([\d.]+)/.exec(r.output);
  if (!m) throw new Error(`pgbench gave no figure:\n${r.output.slice(-800)}`);
  return Number(m[1]);
}

interface Target {
  stack: string;
  baseUrl: string;
  pg: string;
}

/** One rate for `seconds`, constant, through loadgen; figures from its ledger, as a run computes them. */
async function loadStep(engine: Loadgen, t: Target, rate: number, seconds: number, prefix: string, traced = false): Promise<StepResult> {
  const dir = workDir("bench");
  const ledger = path.join(dir, `ledger-${prefix}.jsonl`);
  const plan = { ...planFor({ profile: "load", rate, durationSeconds: seconds, baseUrl: t.baseUrl, keyPrefix: prefix }), slo: BENCH_SLO, ...(traced ? { traceSampleEvery: 1 } : {}) };
  const started = Date.now();
  const { result: run, cpu } = await during(t.stack, [], seconds, () =>
    engine.run({ plan, scenario: "load", planFile: path.join(dir, `plan-${prefix}.json`), summaryFile: path.join(dir, `summary-${prefix}.json`), ledgerFile: ledger, logName: `bench-loadgen-${prefix}`, env: ENGINE_ENV }),
  );
  if (run.status !== "completed") throw new Error(`loadgen at ${rate}/s: ${run.outcome} (exit ${run.exitCode}); log: ${run.log}`);
  const figures = new FigureBuilder(started, plan);
  await forEachLedgerEntry([ledger], (e) => figures.add(e));
  fs.rmSync(ledger, { force: true });
  const f = figures.figures();
  const [, p95, p99] = figures.thresholds();
  const achievedRps = f.requests / seconds;
  const engineCore = cpu?.percent.loadgen;
  const result: StepResult = {
    rate,
    achievedRps,
    p95Ms: p95!.observed ?? Infinity,
    p99Ms: p99!.observed ?? Infinity,
    failedRate: f.requests === 0 ? 1 : (f.requests - f.acknowledged) / f.requests,
    lagP99Ms: run.lagMs?.p99 ?? 0,
    passed: false,
    cpu,
    ...(engineCore !== undefined && achievedRps > 0 ? { engineUsPerRequest: Math.round((engineCore / 100) * 1e6 / achievedRps) } : {}),
  };
  // The SLO: p95 under 99 ms, no failed request, and the rate really delivered.
  result.passed = result.p95Ms < 99 && result.failedRate === 0 && result.achievedRps >= 0.97 * rate;
  return result;
}

/** loadgen's own cost, against a server that answers at once: CPU per request and the rate kept. */
async function engineCost(engine: Loadgen, rate: number, seconds: number): Promise<BenchWorkloadFigures["engineOnInstantServer"]> {
  const server = await startInstantServer();
  try {
    const dir = workDir("bench");
    const plan = planFor({ profile: "load", rate, durationSeconds: seconds, baseUrl: server.url, keyPrefix: "instant" });
    const { result: run, cpu } = await during("none", [], seconds, () => engine.run({ plan, scenario: "load", planFile: path.join(dir, "plan-instant.json"), summaryFile: path.join(dir, "summary-instant.json"), logName: "bench-loadgen-instant", env: ENGINE_ENV }));
    if (run.status !== "completed") throw new Error(`loadgen against the instant server: ${run.outcome} (exit ${run.exitCode}); log: ${run.log}`);
    const core = cpu?.percent.loadgen ?? Number.NaN;
    return { rate, achievedRps: server.count() / seconds, usPerRequest: Math.round((core / 100) * 1e6 / rate), lagP99Ms: run.lagMs?.p99 ?? 0 };
  } finally {
    await server.stop();
  }
}

/** Steps up through `rates`, stopping at the first over the SLO; then the accept-to-processed latency at the best. */
async function sweep(engine: Loadgen, t: Target, rates: number[], stepSeconds: number, label: string, how: Pick<Sweep, "proxy" | "tls" | "observability" | "tracing">): Promise<Sweep> {
  const steps: StepResult[] = [];
  for (const rate of rates) {
    const step = await loadStep(engine, t, rate, stepSeconds, `${label}${rate}`, how.tracing);
    steps.push(step);
    say(`bench: ${rate}/s -> ${step.achievedRps.toFixed(0)}/s achieved, p95 ${step.p95Ms.toFixed(1)} ms, failed ${(step.failedRate * 100).toFixed(2)} %, start lag p99 ${step.lagP99Ms} ms: ${step.passed ? "within the SLO" : "over the SLO"}`);
    if (step.cpu) say(`bench:   ${formatSplit(step.cpu)}`);
    await waitDrained(t.pg, 180_000).catch((err: unknown) => {
      throw new Error(`after the step at ${rate}/s PostgreSQL did not answer: ${(err as Error).message}`);
    });
    if (!step.passed) break;
  }
  const best = steps.filter((x) => x.passed).pop();
  let latency: Sweep["acceptToProcessedMs"];
  if (best) {
    const row = await psql(
      t.pg,
      `SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1), round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 1)
         FROM (SELECT extract(epoch FROM processed_at - accepted_at) * 1000 AS ms FROM records WHERE idempotency_key LIKE '${label}${best.rate}-%' AND state = 'processed') t`,
    );
    const [p50, p95] = row.split("|").map(Number);
    latency = { p50: p50!, p95: p95! };
  }
  return { ...how, steps, bestRate: best?.rate ?? 0, acceptToProcessedMs: latency };
}

export async function benchWorkload(toolchain: Toolchain, engine: Loadgen, options: { rates: number[]; stepSeconds: number }): Promise<BenchWorkloadFigures> {
  const name = `ci-benchwl-${Date.now().toString(36)}`;
  const stack = await openStack(name, toolchain);
  try {
    await stack.setConfig("cp3:gateway", { value: JSON.stringify({ hostPort: 0, maxBacklog: 10_000_000 }) });
    // Room for what a sweep stores (about 1 KB per record, a few hundred thousand records) on the tmpfs.
    await stack.setConfig("cp3:postgres", { value: JSON.stringify({ storageMiB: 2048, memoryMiB: 2304 }) });
    // The first sweeps without TLS and without monitoring (the ci template turns both on); later sweeps turn each on.
    await stack.setConfig("cp3:tls", { value: JSON.stringify({ enabled: false }) });
    await stack.setConfig("cp3:observability", { value: JSON.stringify({ enabled: false, tracing: false }) });
    let o = (await upStack(stack)).outputs as unknown as Outputs;
    const nats = o.containers.nats[0]!;
    const pg = o.containers.postgres;
    // The published port on 127.0.0.1 (load from the host goes nowhere else); cp3's dockerd runs without the
    // userland proxy, so the port is the kernel's NAT, not a docker-proxy process taking CPU.
    let t: Target = { stack: name, baseUrl: o.gatewayUrl, pg };
    say(`bench: loadgen reaches the gateway at ${t.baseUrl}`);
    say("bench: loadgen against an instant local server at 2000/s");
    const engineOnInstantServer = await engineCost(engine, 2000, 10);

    say("bench: ceilings (nats bench, pgbench)");
    const natsAsync = await natsPublish(nats, "async", 100_000);
    const natsSync = await natsPublish(nats, "sync", 10_000);
    const pgTps = await pgInserts(pg);

    // Warm up (JIT, connection pools, caches) at half the first rate; not measured.
    const warmRate = Math.max(10, Math.floor(options.rates[0]! / 2));
    say(`bench: warm-up at ${warmRate}/s (not measured)`);
    await loadStep(engine, t, warmRate, 10, "warmup");
    await waitDrained(pg, 120_000);

    say("bench: flows through Toxiproxy (chaos.proxy: true, as ci runs)");
    const proxied = await sweep(engine, t, options.rates, options.stepSeconds, "p", { proxy: true, tls: false, observability: false, tracing: false });

    // The same stack with other settings, warmed up again and swept: the settings given are set, the stack
    // updated (what they touch is replaced), and the sweep runs at `rates`.
    let run = 1;
    const resweep = async (what: string, settings: Record<string, unknown>, rates: number[], how: Pick<Sweep, "proxy" | "tls" | "observability" | "tracing">) => {
      say(`bench: ${what}`);
      for (const [key, value] of Object.entries(settings)) await stack.setConfig(`cp3:${key}`, { value: JSON.stringify(value) });
      o = (await upStack(stack)).outputs as unknown as Outputs;
      t = { ...t, baseUrl: o.gatewayUrl, pg: o.containers.postgres };
      await loadStep(engine, t, warmRate, 10, `warmup${++run}`);
      await waitDrained(t.pg, 120_000);
      return sweep(engine, t, rates, options.stepSeconds, what.slice(0, 1), how);
    };

    // The flows connected straight to NATS and PostgreSQL (they are replaced; the data stays), from the knee found
    // above up: what the proxy costs.
    const from = options.rates.filter((r) => r >= proxied.bestRate && r > 0);
    const direct = from.length > 0 ? await resweep("direct: flows connected directly (chaos.proxy: false)", { chaos: { proxy: false } }, from, { proxy: false, tls: false, observability: false, tracing: false }) : undefined;
    // TLS inside the testbed, through Toxiproxy as the first sweep: NATS and PostgreSQL are replaced (their tmpfs
    // data goes; the set-up and the migration run again), the flows verify both against the stack's CA.
    const tls = await resweep("tls: TLS inside the testbed (tls.enabled: true, through Toxiproxy)", { chaos: { proxy: true }, tls: { enabled: true } }, options.rates, { proxy: true, tls: true, observability: false, tracing: false });
    // The monitoring on, TLS off again: Prometheus scrapes the flows, NATS and PostgreSQL every 5 s under the load.
    const observability = await resweep("observability: the monitoring on (observability.enabled: true, tracing off, TLS off, through Toxiproxy)", { tls: { enabled: false }, observability: { enabled: true, tracing: false } }, options.rates, { proxy: true, tls: false, observability: true, tracing: false });
    // Then Jaeger as well, every request sent sampled: the flows make and export seven spans per record.
    const tracing = await resweep("tracing: the monitoring and tracing on (Jaeger, every request traced)", { observability: { enabled: true, tracing: true } }, options.rates, { proxy: true, tls: false, observability: true, tracing: true });
    const monitoringRssBytes = await monitoringRss(name);
    return {
      target: `${t.baseUrl} (${await publishedPortPath()})`,
      engine: engine.info,
      engineOnInstantServer,
      steps: proxied.steps,
      bestRate: proxied.bestRate,
      acceptToProcessedMs: proxied.acceptToProcessedMs,
      direct,
      tls,
      observability,
      tracing,
      monitoringRssBytes,
      natsAsyncPublishMsgsPerSec: natsAsync,
      natsSyncPublishMsgsPerSec: natsSync,
      pgInsertTps: pgTps,
      goalRps: GOAL_RPS,
    };
  } finally {
    await destroyAlways(stack);
  }
}

/** RSS of the stack's monitoring containers (by component label), read from /proc of each one's main process. */
async function monitoringRss(stack: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of await docker.containersWithLabels({ "cp3.stack": stack })) {
    const component = c.Labels["cp3.component"] ?? "";
    if (!MONITORING_COMPONENTS.includes(component) || c.State !== "running") continue;
    const pid = (await docker.inspectContainer(c.Id)).State.Pid;
    if (pid > 0) out[component] = memoryRssBytes(pid);
  }
  return out;
}

function stepLines(steps: StepResult[]): string[] {
  const lines = ["rate/s  achieved/s  p95 ms  p99 ms  failed  lag p99  loadgen us/req  SLO"];
  for (const s of steps) {
    lines.push(`${String(s.rate).padStart(6)}  ${s.achievedRps.toFixed(0).padStart(10)}  ${s.p95Ms.toFixed(1).padStart(6)}  ${s.p99Ms.toFixed(1).padStart(6)}  ${(s.failedRate * 100).toFixed(2).padStart(5)}%  ${s.lagP99Ms.toFixed(1).padStart(7)}  ${String(s.engineUsPerRequest ?? "-").padStart(14)}  ${s.passed ? "ok" : "over"}`);
    if (s.cpu) lines.push(`        ${formatSplit(s.cpu)}`);
  }
  return lines;
}

const latencyText = (l: Sweep["acceptToProcessedMs"]) => (l ? `p50 ${l.p50} ms, p95 ${l.p95} ms` : "n/a (no step within the SLO)");

export function formatBenchWorkload(f: BenchWorkloadFigures): string {
  const i = f.engineOnInstantServer;
  const lines = [
    `engine: ${f.engine.name} ${f.engine.version}; against an instant local server at ${i.rate}/s: ${i.achievedRps.toFixed(0)}/s delivered, ${i.usPerRequest} us of CPU per request, start lag p99 ${i.lagP99Ms} ms`,
    `loadgen -> ${f.target}; flows through Toxiproxy (chaos.proxy: true, as ci runs):`,
    ...stepLines(f.steps),
  ];
  lines.push(
    "",
    `highest rate within p95 < 99 ms and no errors: ${f.bestRate}/s (goal ${f.goalRps}/s; ${((f.bestRate / f.goalRps) * 100).toFixed(0)} % of it)`,
    `accept-to-processed at that rate: ${latencyText(f.acceptToProcessedMs)}`,
  );
  if (f.direct) {
    lines.push("", "the same with the flows connected directly (chaos.proxy: false), from that rate up:", ...stepLines(f.direct.steps));
    lines.push("", `highest rate without the proxy: ${f.direct.bestRate > 0 ? `${f.direct.bestRate}/s` : `below ${f.direct.steps[0]?.rate ?? 0}/s this time`}; accept-to-processed at it: ${latencyText(f.direct.acceptToProcessedMs)}`);
  }
  lines.push(
    "",
    "with TLS inside the testbed (tls.enabled: true; through Toxiproxy, as the first sweep):",
    ...stepLines(f.tls.steps),
    "",
    `highest rate with TLS: ${f.tls.bestRate > 0 ? `${f.tls.bestRate}/s` : `below ${f.tls.steps[0]?.rate ?? 0}/s this time`} against ${f.bestRate}/s without${f.bestRate > 0 && f.tls.bestRate > 0 ? ` (ratio ${(f.tls.bestRate / f.bestRate).toFixed(2)})` : ""}; accept-to-processed at it: ${latencyText(f.tls.acceptToProcessedMs)}`,
  );
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const monitoringTotal = Object.values(f.monitoringRssBytes).reduce((a, b) => a + b, 0);
  lines.push(
    "",
    "with the monitoring on, tracing off (observability.enabled: true, scraping every 5 s; TLS off, through Toxiproxy, as the first sweep):",
    ...stepLines(f.observability.steps),
    "",
    `highest rate with the monitoring on: ${f.observability.bestRate > 0 ? `${f.observability.bestRate}/s` : `below ${f.observability.steps[0]?.rate ?? 0}/s this time`} against ${f.bestRate}/s off${f.bestRate > 0 && f.observability.bestRate > 0 ? ` (ratio ${(f.observability.bestRate / f.bestRate).toFixed(2)})` : ""}; accept-to-processed at it: ${latencyText(f.observability.acceptToProcessedMs)}`,
    "",
    "with tracing on as well (Jaeger; every request sent sampled, seven spans per record):",
    ...stepLines(f.tracing.steps),
    "",
    `highest rate with tracing on: ${f.tracing.bestRate > 0 ? `${f.tracing.bestRate}/s` : `below ${f.tracing.steps[0]?.rate ?? 0}/s this time`} against ${f.observability.bestRate}/s with the monitoring alone${f.observability.bestRate > 0 && f.tracing.bestRate > 0 ? ` (ratio ${(f.tracing.bestRate / f.observability.bestRate).toFixed(2)})` : ""} and ${f.bestRate}/s with neither; accept-to-processed at it: ${latencyText(f.tracing.acceptToProcessedMs)}`,
    `memory the monitoring adds per stack, Jaeger included (RSS at the end of the last sweep): ${mib(monitoringTotal)} (${Object.entries(f.monitoringRssBytes).map(([k, v]) => `${k} ${mib(v)}`).join(", ") || "not read"})`,
  );
  lines.push(
    "",
    `ceilings in the same run: JetStream async publish ${f.natsAsyncPublishMsgsPerSec} msgs/s, sync publish ${f.natsSyncPublishMsgsPerSec} msgs/s; PostgreSQL single-row insert transactions ${f.pgInsertTps.toFixed(0)}/s (pgbench, 8 clients)`,
    `best rate as a fraction of the ceilings: ${((f.bestRate / f.natsSyncPublishMsgsPerSec) * 100).toFixed(1)} % of sync publish, ${((f.bestRate / f.pgInsertTps) * 100).toFixed(1)} % of insert transactions (records are written in batches: many records share one transaction)`,
  );
  return lines.join("\n");
}
