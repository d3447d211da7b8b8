// Trace coverage's arithmetic: which expected spans a trace lacks, which records are looked up when there are
// more than the bound, and when the verdict fails. (Against a real Jaeger: tests/integration/observability.test.ts.)
import { describe, expect, it } from "vitest";
import { coverageReasons, CUT_WINDOW_MS, heldByJaeger, MAX_TRACE_LOOKUPS, missingSpans, spread, STOP_LAG_MS, stopThatCut, type TraceCoverage } from "../../observability/traces";

const expected = [
  { service: "gateway", name: "POST /v1/records" },
  { service: "worker", name: "records.ack" },
];

const coverage = (c: Partial<TraceCoverage>): TraceCoverage => ({ queryUrl: "http://127.0.0.1:1", expected, sampleEvery: 1, sampled: 1000, checked: 1000, complete: 1000, coverage: 1, beyondStore: 0, missingBySpan: {}, cutByStops: 0, incomplete: [], failedSpans: 0, ...c });

describe("trace coverage", () => {
  it("names each expected span a trace lacks, by service and name", () => {
    expect(missingSpans(expected, [{ service: "gateway", name: "POST /v1/records", error: false, endMs: 1000 }, { service: "worker", name: "records.ack", error: true, endMs: 1000 }])).toEqual([]);
    expect(missingSpans(expected, [{ service: "gateway", name: "POST /v1/records", error: false, endMs: 1000 }, { service: "gateway", name: "records.ack", error: false, endMs: 1000 }])).toEqual(["worker: records.ack"]);
    expect(missingSpans(expected, [])).toEqual(["gateway: POST /v1/records", "worker: records.ack"]);
  });

  it("puts a gap down to a stopped process when only its service's spans are missing and it stopped just after the rest", () => {
    const gateway = [{ service: "gateway", name: "records.publish", error: false, endMs: 50_000 }];
    const kill = { service: "worker", container: "cp3-ci-worker-0", atMs: 50_300, experiment: "worker-kill" };
    expect(stopThatCut(["worker: records.ack", "worker: records.commit"], gateway, [kill])).toEqual(kill);
    expect(stopThatCut(["worker: records.ack", "gateway: records.accept"], gateway, [kill])).toBeUndefined();
    expect(stopThatCut(["worker: records.ack"], gateway, [{ ...kill, atMs: 50_000 + CUT_WINDOW_MS + 1 }])).toBeUndefined();
    expect(stopThatCut(["worker: records.ack"], gateway, [{ ...kill, atMs: 49_990 }])).toEqual({ ...kill, atMs: 49_990 });
    expect(stopThatCut(["worker: records.ack"], gateway, [{ ...kill, atMs: 50_000 - STOP_LAG_MS - 1 }])).toBeUndefined();
    expect(stopThatCut(["worker: records.ack"], gateway, [{ ...kill, service: "gateway" }])).toBeUndefined();
  });

  it("looks only at the newest records whose traces Jaeger can still hold (half its bound)", () => {
    const records = Array.from({ length: 250 }, (_, i) => i);
    expect(heldByJaeger(records, 1000)).toEqual(records);
    expect(heldByJaeger(records, 400)).toEqual(records.slice(50));
    expect(heldByJaeger(records, 0)).toEqual(records);
  });

  it("looks up every record up to the bound, and beyond it records spread evenly, first and last included", () => {
    expect(spread([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8], 3)).toEqual([0, 4, 8]);
    const many = Array.from({ length: MAX_TRACE_LOOKUPS * 3 + 1 }, (_, i) => i);
    const picked = spread(many, MAX_TRACE_LOOKUPS);
    expect(picked).toHaveLength(MAX_TRACE_LOOKUPS);
    expect(new Set(picked).size).toBe(MAX_TRACE_LOOKUPS);
    expect([picked[0], picked.at(-1)]).toEqual([0, MAX_TRACE_LOOKUPS * 3]);
  });

  it("fails the verdict below 99 %, naming the missing spans, and when Jaeger could not be read", () => {
    expect(coverageReasons(coverage({}))).toEqual([]);
    expect(coverageReasons(coverage({ complete: 990, coverage: 0.99, missingBySpan: { "worker: records.ack": 10 } }))).toEqual([]);
    expect(coverageReasons(coverage({ complete: 989, coverage: 0.989, missingBySpan: { "worker: records.ack": 11 } }))).toEqual([
      "trace coverage 98.90 % (989 of 1000 traces complete) is below 99 %: worker: records.ack missing in 11",
    ]);
    expect(coverageReasons(coverage({ error: "Jaeger could not be read: HTTP 500" }))).toEqual(["trace coverage not measured: Jaeger could not be read: HTTP 500"]);
    expect(coverageReasons(coverage({ skipped: "the system description names no spans (traces.spans)" }))).toEqual([]);
    expect(coverageReasons(undefined)).toEqual([]);
  });
});
