// Trace coverage: the share of the run's processed records whose trace in Jaeger holds every span the system
// description expects. Each record's trace id is known from its key (lib/trace-ids.ts), so the run asks Jaeger for
// exactly those traces, after the drain, when the last spans have had time to arrive.
import type { TraceSpanSpec } from "../testbed/spec";
import type { JaegerClient, TraceSpan } from "../lib/jaeger-api";
import { requestNumberOf, sampledRequest, traceIdOf } from "../lib/trace-ids";

/** Below this share of complete traces the verdict fails (the issue's bound; the goal is 100 %). */
export const MIN_TRACE_COVERAGE = 0.99;
/** Traces looked up at most; beyond, records spread evenly over the run are. */
export const MAX_TRACE_LOOKUPS = 5000;
const LOOKUP_CONCURRENCY = 8;
/**
 * An incomplete trace is asked for again once, this long after the system has settled (`settle`): the last spans
 * may still be on their way.
 */
export const RECHECK_AFTER_MS = 5000;
const LISTED_INCOMPLETE = 20;
/**
 * A process stopped by a fault loses the spans it had not exported yet (the flows export every 50 ms). A trace
 * that lacks only that service's spans, and whose last span ended at most this long before the stop, is counted
 * as cut by it: a cause shown beside the coverage, which itself counts every gap.
 */
export const CUT_WINDOW_MS = 10_000;
/** A fault's recorded start comes a little before the signal lands (a default run: a span ended 1 ms after it). */
export const STOP_LAG_MS = 1000;

/** A process a fault stopped: its service (as Jaeger names it), its container, when (ms since the epoch), by what. */
export interface ProcessStop {
  service: string;
  container: string;
  atMs: number;
  experiment: string;
}

export interface IncompleteTrace {
  key: string;
  traceId: string;
  /** `service: span` of each expected span the trace lacks. */
  missing: string[];
  /** The stopped process that took the missing spans with it, when one explains them. */
  cutBy?: string;
}

export interface TraceCoverage {
  /** Jaeger's UI and query API (a trace: <queryUrl>/trace/<id>). */
  queryUrl: string;
  expected: TraceSpanSpec[];
  sampleEvery: number;
  /** Processed records of the load whose requests were sent sampled. */
  sampled: number;
  /** Of those, the oldest whose traces Jaeger may have let go (it keeps its last `maxTraces`): not looked up. */
  beyondStore: number;
  /** Of the rest, how many traces were looked up (all of them, up to MAX_TRACE_LOOKUPS). */
  checked: number;
  complete: number;
  /** complete / checked; undefined when nothing was checked. */
  coverage?: number;
  /** How often each expected span was missing, by `service: span`. */
  missingBySpan: Record<string, number>;
  /** Incomplete traces whose missing spans a process stopped by a fault held unexported (see CUT_WINDOW_MS). */
  cutByStops: number;
  /** The first incomplete traces. */
  incomplete: IncompleteTrace[];
  /** Spans marked failed in the complete traces (a retried publish, a nak'd delivery): not a gap, but worth seeing. */
  failedSpans: number;
  /** Why coverage was not measured, or could not be. */
  skipped?: string;
  error?: string;
}

const label = (s: TraceSpanSpec) => `${s.service}: ${s.name}`;

/** The expected spans a trace lacks. */
export function missingSpans(expected: readonly TraceSpanSpec[], spans: readonly TraceSpan[]): string[] {
  const have = new Set(spans.map((s) => `${s.service}: ${s.name}`));
  return expected.map(label).filter((l) => !have.has(l));
}

/** The stop that explains a trace's gap: every missing span is its service's, and the stop came just after the rest (or with them). */
export function stopThatCut(missing: readonly string[], spans: readonly TraceSpan[], stops: readonly ProcessStop[]): ProcessStop | undefined {
  const services = new Set(missing.map((m) => m.slice(0, m.indexOf(": "))));
  if (services.size !== 1 || spans.length === 0) return undefined;
  const [service] = services;
  const lastEnd = Math.max(...spans.map((s) => s.endMs));
  return stops.find((s) => s.service === service && s.atMs >= lastEnd - STOP_LAG_MS && s.atMs - lastEnd <= CUT_WINDOW_MS);
}

const describeStop = (s: ProcessStop) => `${s.experiment} stopped ${s.container}`;

/**
 * The newest records (in request order) whose traces Jaeger can still hold: it keeps its last `maxTraces` traces,
 * seed records' and other clients' among them, so half its bound leaves room for those. 0: no bound.
 */
export function heldByJaeger<T>(inOrder: readonly T[], maxTraces: number): T[] {
  const room = Math.floor(maxTraces / 2);
  return maxTraces > 0 && inOrder.length > room ? inOrder.slice(inOrder.length - room) : [...inOrder];
}

/** Evenly spread picks of at most `max` items, first and last included. */
export function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]!);
}

async function mapLimited<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface CoverageInput {
  client: JaegerClient;
  expected: readonly TraceSpanSpec[];
  sampleEvery: number;
  /** Traces Jaeger keeps; 0: no bound. */
  maxTraces: number;
  /** The load's key prefix: keys are `<keyPrefix>-<n>`. */
  keyPrefix: string;
  /** Load keys acknowledged and processed (acknowledged, not lost). */
  processedKeys: readonly string[];
  /** Processes the run's faults stopped, to explain the gaps they left. */
  stops: readonly ProcessStop[];
  sleep: (ms: number) => Promise<void>;
  /**
   * Waits, before incomplete traces are asked for again, until no message is left to acknowledge: a consumer killed
   * between its commit and its ack has its message delivered again after the ack wait, and that delivery's ack
   * completes the trace.
   */
  settle?: () => Promise<void>;
}

export async function measureTraceCoverage(i: CoverageInput): Promise<TraceCoverage> {
  const base = { queryUrl: i.client.baseUrl, expected: [...i.expected], sampleEvery: i.sampleEvery, sampled: 0, beyondStore: 0, checked: 0, complete: 0, missingBySpan: {}, cutByStops: 0, incomplete: [], failedSpans: 0 };
  if (i.expected.length === 0) return { ...base, skipped: "the system description names no spans (traces.spans)" };
  const sampled = i.processedKeys.flatMap((key) => {
    const n = requestNumberOf(i.keyPrefix, key);
    return n !== undefined && sampledRequest(n, i.sampleEvery) ? [{ key, traceId: traceIdOf(i.keyPrefix, n), n }] : [];
  });
  sampled.sort((a, b) => a.n - b.n);
  const held = heldByJaeger(sampled, i.maxTraces);
  const picked = spread(held, MAX_TRACE_LOOKUPS);
  try {
    const look = (r: (typeof picked)[number]) => i.client.trace(r.traceId).then((spans) => ({ ...r, spans, missing: missingSpans(i.expected, spans) }));
    let results = await mapLimited(picked, LOOKUP_CONCURRENCY, look);
    if (results.some((r) => r.missing.length > 0)) {
      await i.settle?.();
      await i.sleep(RECHECK_AFTER_MS);
      const again = new Map((await mapLimited(results.filter((r) => r.missing.length > 0), LOOKUP_CONCURRENCY, look)).map((r) => [r.key, r]));
      results = results.map((r) => again.get(r.key) ?? r);
    }
    const incomplete = results.filter((r) => r.missing.length > 0).map((r) => ({ ...r, cut: stopThatCut(r.missing, r.spans, i.stops) }));
    const missingBySpan: Record<string, number> = {};
    for (const r of incomplete) for (const m of r.missing) missingBySpan[m] = (missingBySpan[m] ?? 0) + 1;
    const complete = results.length - incomplete.length;
    return {
      ...base,
      sampled: sampled.length,
      beyondStore: sampled.length - held.length,
      checked: results.length,
      complete,
      ...(results.length > 0 ? { coverage: complete / results.length } : {}),
      missingBySpan,
      cutByStops: incomplete.filter((r) => r.cut).length,
      incomplete: incomplete.slice(0, LISTED_INCOMPLETE).map((r) => ({ key: r.key, traceId: r.traceId, missing: r.missing, ...(r.cut ? { cutBy: describeStop(r.cut) } : {}) })),
      failedSpans: results.filter((r) => r.missing.length === 0).reduce((n, r) => n + r.spans.filter((s) => s.error).length, 0),
    };
  } catch (err) {
    return { ...base, sampled: sampled.length, error: `Jaeger could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The verdict's reasons: coverage below the bound, or not measurable although tracing is on. */
/** The coverage and the counts behind it, in one line: for the console and the report. */
export function coverageLine(t: TraceCoverage): string {
  if (t.skipped) return `coverage not measured: ${t.skipped}`;
  if (t.error) return t.error;
  const pct = t.coverage === undefined ? "n/a" : `${(t.coverage * 100).toFixed(2)} %`;
  const gaps = Object.entries(t.missingBySpan).map(([span, n]) => `${span} missing in ${n}`).join(", ");
  const cut = t.cutByStops > 0 ? ` (${t.cutByStops} of them cut by a process a fault stopped before it exported them)` : "";
  const beyond = t.beyondStore > 0 ? `, the oldest ${t.beyondStore} beyond what Jaeger keeps` : "";
  return `coverage ${pct}: ${t.complete} of ${t.checked} traces complete (${t.sampled} sampled, processed records${beyond}; one in ${t.sampleEvery} sampled)${gaps ? `; ${gaps}${cut}` : ""}; Jaeger ${t.queryUrl}`;
}

export function coverageReasons(c: TraceCoverage | undefined): string[] {
  if (!c || c.skipped) return [];
  if (c.error) return [`trace coverage not measured: ${c.error}`];
  if (c.coverage === undefined) return c.sampled === 0 ? [] : ["trace coverage not measured: no trace was looked up"];
  if (c.coverage >= MIN_TRACE_COVERAGE) return [];
  const gaps = Object.entries(c.missingBySpan).map(([span, n]) => `${span} missing in ${n}`).join(", ");
  return [`trace coverage ${(c.coverage * 100).toFixed(2)} % (${c.complete} of ${c.checked} traces complete) is below ${MIN_TRACE_COVERAGE * 100} %: ${gaps}`];
}
