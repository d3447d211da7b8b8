// Proving a deployed testbed: health gate, seed, load with the chaos schedule alongside, drain, integrity check,
// then the verdict and the report. `cp3 run` does this between its up and its destroy; `cp3 verify` (and so the
// Testbed's verification hook inside a plain `pulumi up`) does it against a stack that is already up, and
// destroys nothing.
import * as fs from "node:fs";
import * as path from "node:path";
import { chaosTargetsFromOutputs } from "../chaos";
import { checkIntegrity } from "../integrity/check";
import { readLedger } from "../integrity/ledger";
import * as docker from "../lib/docker-api";
import { projectRoot } from "../lib/paths";
import { say, step, StepError } from "../lib/progress";
import type { LoadEngine } from "../load/engine";
import type { RunReport } from "../reporting/model";
import { writeReport } from "../reporting/write";
import { versions } from "../toolchain/tools";
import { binDir } from "../toolchain/setup";
import { healthGate } from "./health";
import { judgeRssGrowth } from "../load/memory";
import { campaignFiguresOf } from "./campaign-report";
import { loadWithChaos, memoryIntervalSeconds } from "./load";
import type { RunOptions } from "./options";
import { seedRecords, waitAcksSettled, waitDrained } from "./seed";
import { finalReadOf, systemFromOutputs } from "./system";
import { decideVerdict } from "./verdict";
import type { TestbedImageRefs } from "../components/testbed";
import { imagesOf, scanImages, supplyChainLine } from "../supply-chain/scan";
import { transportLine } from "../security/transport";
import { collectObservability, costLine, coverageLine, describeAlert, measureCost, measureTraceCoverage, monitoringOf, PROCESS_FAULTS, tracingOf, type ObservabilityReport, type ProcessStop } from "../observability";
import { outcomeOf } from "../integrity/ledger";
import { sleep } from "../lib/poll";

const SEED_RECORDS = 100;
const DRAIN_SECONDS = 120;

function toolVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tool, v] of Object.entries(versions)) if (typeof v === "object" && v && "version" in v) out[tool] = String((v as { version: unknown }).version);
  return out;
}

/** One run's report as it fills, its folder, and its clock: every step is timed into it. */
export interface Proof {
  report: RunReport;
  reportDir: string;
  started: Date;
  timed<T>(name: string, work: () => Promise<T>): Promise<T>;
}

export function startProof(runId: string, stack: string, opts: RunOptions, engine: LoadEngine): Proof {
  const reportDir = path.resolve(projectRoot, opts.reportDir, runId);
  fs.mkdirSync(reportDir, { recursive: true });
  const report: RunReport = {
    runId,
    stack,
    verdict: "error",
    reasons: [],
    startedAt: new Date().toISOString(),
    finishedAt: "",
    wallSeconds: 0,
    seed: opts.seed,
    profile: opts.profile,
    schedule: opts.schedule,
    experiments: [],
    versions: { ...toolVersions(), [`load engine (${engine.info.name})`]: engine.info.version },
    steps: [],
  };
  say(`run ${runId}: stack ${stack}, profile ${opts.profile} for ${opts.durationSeconds} s, seed ${opts.seed}, experiments ${opts.experiments.join(", ") || "none"}`);
  if (opts.campaign) say(`campaign ${opts.campaign.name}: ${opts.schedule.length} experiments in ${opts.durationSeconds} s (${opts.schedule.filter((s) => s.lane === "overlap").length} in the overlap lane), warm-up ${opts.campaign.warmupSeconds} s, quiet tail ${opts.campaign.quietTailSeconds} s`);
  say(`schedule: ${opts.schedule.map((s) => `${s.experiment} at ${s.startAt} s${s.lane === "overlap" ? " (overlap)" : ""}`).join(", ") || "no chaos"}`);
  return {
    report,
    reportDir,
    started: new Date(),
    async timed(name, work) {
      const t0 = Date.now();
      try {
        const result = await step(name, work);
        report.steps.push({ name, seconds: (Date.now() - t0) / 1000, ok: true });
        return result;
      } catch (err) {
        report.steps.push({ name, seconds: (Date.now() - t0) / 1000, ok: false });
        throw err;
      }
    },
  };
}

/** What the verdict needs beyond the report. */
export interface Findings {
  pendingAfterDrain?: number;
  integrityUnchecked?: string;
  strictScan?: boolean;
}

/** From the health gate to the integrity check, against the stack whose outputs these are. */
export async function proveDeployed(proof: Proof, outputs: Record<string, unknown>, opts: RunOptions, engine: LoadEngine, signal: AbortSignal, findings: Findings): Promise<void> {
  const { report, reportDir, timed } = proof;
  report.versions["docker engine"] = (await docker.version()).Version;
  // Keys are <run-id>-<n> (and <run-id>-seed-<n>): this run judges its own records only.
  const system = { ...systemFromOutputs(outputs), keyPrefix: `${report.runId}-` };
  report.system = system.name;
  await timed("health gate", () => healthGate(outputs, system, signal));
  // The images as they run: checks and pending Debian updates; a scan that cannot run is reported, not fatal.
  const sbom = { syft: path.join(binDir(), "syft"), dir: path.join(reportDir, "sbom") };
  report.supplyChain = await timed("supply-chain scan", () => scanImages(imagesOf((outputs as { images: TestbedImageRefs }).images), { say, sbom, labels: { "cp3.stack": report.stack } })).catch((err: unknown) => ({ error: describeError(err) }));
  say(supplyChainLine(report.supplyChain));
  const targets = chaosTargetsFromOutputs(outputs);
  if (opts.campaign?.natsReplicas === 3 && targets.containers.nats.length !== 3) {
    throw new Error(`campaign ${opts.campaign.name} needs the 3-node NATS cluster, but stack ${report.stack} has ${targets.containers.nats.length} NATS server(s): set cp3:nats.replicas to 3 (cp3 run sets it on the stacks it creates)`);
  }
  const seedLedger = path.join(reportDir, "seed-ledger.jsonl");
  await timed("seed data", () => seedRecords({ system, prefix: report.runId, count: SEED_RECORDS, ledgerFile: seedLedger, signal }));
  const ledger = path.join(reportDir, "ledger.jsonl");
  const tls = (outputs.tls as { enabled?: boolean } | undefined)?.enabled === true;
  const tracing = tracingOf(outputs);
  const phase = await timed(`load (${opts.profile}) with chaos`, () => loadWithChaos({ engine, opts, system, targets, tls, ...(tracing ? { traceSampleEvery: tracing.sampleEvery } : {}), stack: report.stack, runId: report.runId, reportDir, ledger, signal }));
  report.load = phase.load;
  report.experiments = phase.experiments;
  if (phase.transport) {
    report.transport = phase.transport;
    say(transportLine(phase.transport));
  }
  if (phase.memory) {
    // Memory settles only after the first faults of each kind (V8 and Go keep the heap a burst grew), so growth is
    // measured after the first quarter of the load (at least the campaign's warm-up): a drift, not the first burst.
    const warmupSeconds = Math.max(opts.campaign?.warmupSeconds ?? 0, Math.round(opts.durationSeconds / 4));
    const windowSeconds = Math.max(60, 5 * memoryIntervalSeconds(opts.durationSeconds));
    report.memory = { series: phase.memory, growth: judgeRssGrowth(phase.memory, { warmupSeconds, maxGrowth: opts.maxRssGrowth, windowSeconds }), maxGrowth: opts.maxRssGrowth, warmupSeconds };
  }
  findings.pendingAfterDrain = await timed("drain", () => waitDrained(system, DRAIN_SECONDS * 1000, signal));
  // What Prometheus saw from the start of the load to the end of the drain; a query that fails is shown, not fatal.
  const monitoring = monitoringOf(outputs);
  let observedUntilMs: number | undefined;
  if (monitoring) {
    const m = monitoring;
    // A fault that ended just before the drain did: the alerts it sets off need a scrape and an evaluation or two.
    const lastFaultEnd = Math.max(0, ...report.experiments.flatMap((e) => e.faults.map((f) => f.endedAt)));
    const due = phase.load.startedAtMs! + (lastFaultEnd + 3 * m.scrapeIntervalSeconds) * 1000 - Date.now();
    if (due > 0) {
      say(`observability: waiting ${(due / 1000).toFixed(0)} s for the alerts of the last fault to be evaluated`);
      await sleep(due, signal);
    }
    const endMs = (observedUntilMs = Date.now());
    report.observability = await timed("observability (Prometheus range queries)", () => collectObservability(m.client, m.panels, {
      loadStartedAtMs: phase.load.startedAtMs!, endMs, scrapeIntervalSeconds: m.scrapeIntervalSeconds,
      alerts: m.alerts, ...(m.sloSkipped ? { sloSkipped: m.sloSkipped } : {}), experiments: report.experiments, containerPrefix: `cp3-${report.stack}-`, alertSinkUrl: m.alertSinkUrl,
    }));
    say(observabilityLine(report.observability));
  }
  if (system.oracle) {
    report.integrity = await timed("integrity check", async () => checkIntegrity(await readLedger([seedLedger, ledger]), (await finalReadOf(system))!, phase.reads));
  } else {
    findings.integrityUnchecked = `integrity not checked: the system description of ${system.name} has no oracle`;
    say(findings.integrityUnchecked);
  }
  if (opts.campaign) {
    const o = { ledger, loadStartedAtMs: phase.load.startedAtMs!, loadSeconds: phase.load.durationSeconds, ...(report.integrity ? { integrity: report.integrity } : {}) };
    report.campaign = await campaignFiguresOf(opts.campaign.name, report.experiments, o);
    say(`campaign ${opts.campaign.name}: ${report.campaign.summary}`);
  }
  // The load's processed records: the acknowledged ones the integrity check did not find lost.
  const lost = new Set(report.integrity?.lost.map((l) => l.key));
  const processedKeys = report.integrity ? (await readLedger([ledger])).filter((e) => outcomeOf(e.s) === "acknowledged" && !lost.has(e.k)).map((e) => e.k) : undefined;
  if (monitoring && observedUntilMs !== undefined && processedKeys) {
    const window = { fromMs: phase.load.startedAtMs!, toMs: observedUntilMs };
    report.cost = await timed("cost per record (container metrics)", () => measureCost(monitoring.client, { ...window, records: processedKeys.length }));
    say(costLine(report.cost));
  }
  if (tracing && processedKeys) {
    const t = tracing;
    const stops = processStops(report.experiments, outputs, phase.load.startedAtMs!);
    const settle = async () => {
      const left = await waitAcksSettled(String(outputs.natsMonitorUrl ?? ""), signal);
      if (left !== 0) say(`traces: ${Number.isNaN(left) ? "the NATS monitor did not answer" : `${left} messages still to be acknowledged after the consumers' longest ack wait`}; incomplete traces are asked for again anyway`);
    };
    report.traces = await timed("trace coverage (Jaeger)", () => measureTraceCoverage({ client: t.client, expected: t.spans, sampleEvery: t.sampleEvery, maxTraces: t.maxTraces, keyPrefix: report.runId, processedKeys, stops, sleep: (ms) => sleep(ms, signal), settle }));
    say(`traces: ${coverageLine(report.traces)}`);
  }
}

/** The processes the run's faults stopped (kills, restarts, pod deletions), by service: they lose unexported spans. */
function processStops(experiments: RunReport["experiments"], outputs: Record<string, unknown>, loadStartedAtMs: number): ProcessStop[] {
  const byContainer = new Map<string, string>();
  for (const [service, names] of Object.entries((outputs.containers ?? {}) as Record<string, string | string[]>)) for (const n of [names].flat()) byContainer.set(n, service);
  return experiments.flatMap((e) =>
    e.faults
      .filter((f) => f.status === "applied" && PROCESS_FAULTS.includes(f.kind))
      .flatMap((f) => f.targets.flatMap((container) => (byContainer.has(container) ? [{ service: byContainer.get(container)!, container, atMs: loadStartedAtMs + f.startedAt * 1000, experiment: e.name }] : []))),
  );
}

/** Sets the verdict from what the run found (and how it ended). */
export function judge(proof: Proof, findings: Findings, ended: { interrupted: boolean; failure?: unknown }): void {
  const { verdict, reasons } = decideVerdict(proof.report, {
    interrupted: ended.interrupted,
    infrastructureError: ended.failure === undefined ? undefined : describeError(ended.failure),
    ...findings,
  });
  proof.report.verdict = verdict;
  proof.report.reasons = reasons;
}

/** Writes the report (JSON, JUnit, HTML) and prints the verdict; returns the lines printed. */
export async function closeProof(proof: Proof): Promise<string[]> {
  const { report, reportDir, started } = proof;
  report.finishedAt = new Date().toISOString();
  report.wallSeconds = Math.round((Date.now() - started.getTime()) / 100) / 10;
  const files = await writeReport(reportDir, report).catch((err: unknown) => {
    say(`could not write the report in ${reportDir}: ${describeError(err)}`);
    return undefined;
  });
  const lines = verdictLines(report, files?.html ?? reportDir);
  process.stdout.write(lines.join("\n") + "\n");
  return lines;
}

function observabilityLine(o: ObservabilityReport): string {
  const withData = o.panels.filter((p) => p.series.length > 0).length;
  const detections = o.alerts.detections.map((d) => `${d.experiment} ${d.status}${d.detectionSeconds !== undefined ? ` in ${d.detectionSeconds} s` : ""}`);
  return [
    `observability: ${withData} of ${o.panels.length} panels with data from Prometheus (${o.prometheusUrl}); targets up after the run ${o.targets.up} of ${o.targets.total}${o.targets.down.length > 0 ? ` (not up: ${o.targets.down.join(", ")})` : ""}`,
    `alerts: ${o.alerts.fired.length} fired (${o.alerts.fired.map(describeAlert).join(", ") || "none"}), ${o.alerts.notifications.length} notifications from Alertmanager${detections.length > 0 ? `; faults: ${detections.join(", ")}` : ""}${o.alerts.error ? `; could not be read: ${o.alerts.error}` : ""}`,
  ].join("\n");
}

export function describeError(err: unknown): string {
  if (err instanceof StepError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

function verdictLines(r: RunReport, where: string): string[] {
  const lines = [`verdict: ${r.verdict.toUpperCase()} (run ${r.runId}, ${r.wallSeconds} s)`];
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  if (r.integrity) {
    const i = r.integrity;
    lines.push(`integrity: ${i.attempted} attempted, ${i.acknowledged} acknowledged, ${i.processed} processed; lost ${i.lost.length}, duplicates ${i.duplicates.length}, unexpected ${i.unexpected.length}, unknown ${i.unknown.length}`);
  }
  if (r.campaign) lines.push(`campaign ${r.campaign.name}: ${r.campaign.summary}`);
  if (r.campaign) for (const x of r.campaign.experiments) lines.push(`  ${x.experiment}: ${x.injected} injected, ${x.passed} passed, ${x.failed} failed, ${x.skipped} skipped, ${x.errors} errors${x.recoverySeconds ? `; recovery p50 ${x.recoverySeconds.p50} s, p95 ${x.recoverySeconds.p95} s, max ${x.recoverySeconds.max} s` : ""}`);
  else for (const e of r.experiments) lines.push(`experiment ${e.name}: ${e.status}${e.recoverySeconds !== undefined ? `, recovered in ${e.recoverySeconds} s` : ""}${e.reason ? ` (${e.reason})` : ""}`);
  lines.push(`report: ${where}`);
  return lines;
}
