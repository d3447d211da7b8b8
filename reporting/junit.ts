// junit.xml: the run as test cases a CI server understands. A step that never ran becomes an errored test
// case, so a run that died early can never show up as green.
import { escapeAttribute, escapeMarkup, listSome } from "./escape";
import { transportReasons } from "../security/transport";
import { coverageReasons, MIN_TRACE_COVERAGE } from "../observability/traces";
import type { ExperimentResult, IntegrityResult, LoadResult, ObservabilityReport, RunReport, TraceCoverage, TransportSecurity } from "./model";

/** How many keys a failure message names before "and N more" (the full lists are in report.json). */
export const KEYS_IN_MESSAGE = 50;

type Outcome =
  | { kind: "passed" }
  | { kind: "failure" | "error"; message: string; details?: string }
  | { kind: "skipped"; message: string };

interface TestCase {
  name: string;
  seconds?: number;
  outcome: Outcome;
}

interface Suite {
  name: string;
  cases: TestCase[];
}

const passed: Outcome = { kind: "passed" };

function verdictSuite(report: RunReport): Suite {
  const reasons = report.reasons.join("; ") || "no reason recorded";
  const outcome: Outcome =
    report.verdict === "ready"
      ? passed
      : { kind: report.verdict === "not-ready" ? "failure" : "error", message: `verdict ${report.verdict}: ${reasons}`, details: report.reasons.join("\n") };
  return { name: "run", cases: [{ name: "verdict", seconds: report.wallSeconds, outcome }] };
}

function thresholdSuite(load: LoadResult | undefined): Suite {
  if (!load) {
    return { name: "thresholds", cases: [{ name: "SLO gates", outcome: { kind: "error", message: "the load step did not run, so no SLO gate was checked" } }] };
  }
  const cases = load.thresholds.map((t): TestCase => ({
    name: `${t.name}: ${t.condition}`,
    outcome: t.passed ? passed : { kind: "failure", message: `${t.detail ?? `observed ${t.observed}`}; needed ${t.condition}` },
  }));
  return { name: "thresholds", cases };
}

function experimentCase(e: ExperimentResult): TestCase {
  const seconds = Math.max(0, e.endedAt - e.startedAt);
  const reason = e.reason ?? "no reason recorded";
  switch (e.status) {
    case "passed":
      return { name: e.name, seconds, outcome: passed };
    case "skipped":
      return { name: e.name, seconds, outcome: { kind: "skipped", message: reason } };
    case "failed":
      return { name: e.name, seconds, outcome: { kind: "failure", message: reason } };
    case "error":
      return { name: e.name, seconds, outcome: { kind: "error", message: reason } };
  }
}

function experimentSuite(report: RunReport): Suite {
  const cases = report.experiments.map(experimentCase);
  // A scheduled experiment with no result means the run stopped before it.
  const ran = new Set(report.experiments.map((e) => e.name));
  for (const s of report.schedule) {
    if (!ran.has(s.experiment)) cases.push({ name: s.experiment, outcome: { kind: "error", message: `scheduled at ${s.startAt} s but did not run` } });
  }
  return { name: "experiments", cases };
}

function invariantSuite(integrity: IntegrityResult | undefined): Suite {
  if (!integrity) {
    return { name: "invariants", cases: [{ name: "integrity check", outcome: { kind: "error", message: "the integrity check did not run, so no invariant was checked" } }] };
  }
  const failing = (keys: string[], what: string, details?: string): Outcome =>
    keys.length === 0 ? passed : { kind: "failure", message: `${what} (${keys.length}): ${listSome(keys, KEYS_IN_MESSAGE)}`, details };
  const lost = integrity.lost;
  const split = (["before-first-read", "between-reads", "after-last-read"] as const).map((w) => `${w}: ${lost.filter((l) => l.when === w).length}`).join(", ");
  return {
    name: "invariants",
    cases: [
      { name: "no acknowledged record lost", outcome: failing(lost.map((l) => l.key), "acknowledged but never processed", `acknowledged ${split}`) },
      { name: "no record processed twice", outcome: failing(integrity.duplicates.map((d) => d.key), "keys with more than one effect") },
      { name: "nothing processed that was never attempted", outcome: failing(integrity.unexpected, "processed but never attempted") },
    ],
  };
}

/** TLS inside the testbed, as the load found it; skipped when the stack has none or it was not watched. */
function transportSuite(t: TransportSecurity | undefined): Suite {
  const name = "every NATS server requires TLS and every PostgreSQL TCP session is encrypted";
  if (!t?.tls) return { name: "transport", cases: [{ name, outcome: { kind: "skipped", message: t ? "TLS is off on this stack" : "not watched: the run stopped before its load" } }] };
  const reasons = transportReasons(t);
  return { name: "transport", cases: [{ name, outcome: reasons.length === 0 ? passed : { kind: "failure", message: reasons.join("; ") } }] };
}

/** With monitoring on: one case per applied fault, failing when it stopped a process and no alert noticed. */
function monitoringSuite(o: ObservabilityReport): Suite {
  if (o.alerts.error) return { name: "monitoring", cases: [{ name: "the alerts are read from Prometheus", outcome: { kind: "error", message: o.alerts.error } }] };
  const cases = o.alerts.detections.map((d): TestCase => ({
    name: `${d.experiment}: ${d.fault} on ${d.targets.join(", ")} sets off an alert`,
    outcome: d.status === "detected" ? passed : d.status === "not detected" ? { kind: "failure", message: d.reason ?? "not detected" } : { kind: "skipped", message: `${d.status}: ${d.reason ?? ""}` },
  }));
  return { name: "monitoring", cases: cases.length > 0 ? cases : [{ name: "faults set off alerts", outcome: { kind: "skipped", message: "no fault was applied" } }] };
}

/** With tracing on: one case, failing below the coverage bound, an error when Jaeger could not be read. */
function tracesSuite(t: TraceCoverage): Suite {
  const name = `every processed record's trace holds its ${t.expected.length} expected spans (at least ${MIN_TRACE_COVERAGE * 100} % of them)`;
  if (t.skipped) return { name: "traces", cases: [{ name, outcome: { kind: "skipped", message: t.skipped } }] };
  if (t.error) return { name: "traces", cases: [{ name, outcome: { kind: "error", message: t.error } }] };
  const reasons = coverageReasons(t);
  return { name: "traces", cases: [{ name, outcome: reasons.length === 0 ? passed : { kind: "failure", message: reasons.join("; ") } }] };
}

function renderCase(suite: string, c: TestCase): string {
  const time = c.seconds === undefined ? "" : ` time="${c.seconds.toFixed(3)}"`;
  const open = `    <testcase classname="cp3.${suite}" name="${escapeAttribute(c.name)}"${time}`;
  const o = c.outcome;
  switch (o.kind) {
    case "passed":
      return `${open}/>`;
    case "skipped":
      return `${open}>\n      <skipped message="${escapeAttribute(o.message)}"/>\n    </testcase>`;
    case "failure":
    case "error": {
      const body = o.details ? `>${escapeMarkup(o.details)}</${o.kind}>` : "/>";
      return `${open}>\n      <${o.kind} type="${o.kind}" message="${escapeAttribute(o.message)}"${body}\n    </testcase>`;
    }
  }
}

const count = (cases: TestCase[], kind: Outcome["kind"]) => cases.filter((c) => c.outcome.kind === kind).length;

function counts(cases: TestCase[]): string {
  return `tests="${cases.length}" failures="${count(cases, "failure")}" errors="${count(cases, "error")}" skipped="${count(cases, "skipped")}"`;
}

export function renderJunit(report: RunReport): string {
  const suites = [verdictSuite(report), thresholdSuite(report.load), experimentSuite(report), invariantSuite(report.integrity), transportSuite(report.transport), ...(report.observability ? [monitoringSuite(report.observability)] : []), ...(report.traces ? [tracesSuite(report.traces)] : [])];
  const all = suites.flatMap((s) => s.cases);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="cp3 ${escapeAttribute(report.stack)} ${escapeAttribute(report.runId)}" ${counts(all)} time="${report.wallSeconds.toFixed(3)}">`,
  ];
  for (const s of suites) {
    lines.push(`  <testsuite name="${s.name}" ${counts(s.cases)} timestamp="${escapeAttribute(report.startedAt)}">`);
    lines.push(...s.cases.map((c) => renderCase(s.name, c)));
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`, "");
  return lines.join("\n");
}
