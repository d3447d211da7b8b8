// Trace coverage's arithmetic: which expected spans a trace lacks, which records are looked up when there are
// more than the bound, and when the verdict fails. (Against a real Jaeger: tests/integration/observability.test.ts.)
import { describe, expect, it } from "vitest";
import { coverageReasons, MAX_TRACE_LOOKUPS, missingSpans, spread, type TraceCoverage } from "../../observability/traces";

const expected = [
  { service: "gateway", name: "POST /v1/records" },
  { service: "worker", name: "records.ack" },
];

const coverage = (c: Partial<TraceCoverage>): TraceCoverage => ({ queryUrl: "http://127.0.0.1:1", expected, sampleEvery: 1, sampled: 1000, checked: 1000, complete: 1000, coverage: 1, missingBySpan: {}, incomplete: [], failedSpans: 0, ...c });

describe("trace coverage", () => {
  it("names each expected span a trace lacks, by service and name", () => {
    expect(missingSpans(expected, [{ service: "gateway", name: "POST /v1/records", error: false }, { service: "worker", name: "records.ack", error: true }])).toEqual([]);
    expect(missingSpans(expected, [{ service: "gateway", name: "POST /v1/records", error: false }, { service: "gateway", name: "records.ack", error: false }])).toEqual(["worker: records.ack"]);
    expect(missingSpans(expected, [])).toEqual(["gateway: POST /v1/records", "worker: records.ack"]);
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
