// The load plan, its translation for k6, the SLO gates evaluated from a ledger, and the schedule comparison:
// the code every engine is judged by, on hand-made ledgers.
import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../../integrity/ledger";
import { FigureBuilder } from "../../load/figures";
import { k6Options, k6Outcome, k6Thresholds } from "../../load/k6";
import { loadgenOutcome } from "../../load/loadgen";
import { planFor, plannedBetween, planSeconds, PROFILE_SPECS, stepStages } from "../../load/plan";
import { engineName } from "../../load/select";
import { percentText, SloEvaluator } from "../../load/slo";

const T0 = 1_800_000_000_000;
const entry = (n: number, s: number, at: number, d = 10): LedgerEntry => ({ t: T0 + at, k: `r-${n}`, s, d });

describe("planFor", () => {
  it("makes a constant plan of one stage for smoke, load and soak, with the profile's SLO", () => {
    const plan = planFor({ profile: "smoke", durationSeconds: 60, baseUrl: "http://127.0.0.1:1234", keyPrefix: "run1" });
    expect(plan).toEqual({
      baseUrl: "http://127.0.0.1:1234",
      request: { method: "POST", path: "/v1/records", headers: { "content-type": "application/json" }, idempotencyHeader: "idempotency-key", body: '{"payload":{"n":{{n}},"at":{{now}}}}' },
      keyPrefix: "run1",
      startRate: 50,
      stages: [{ target: 50, seconds: 60 }],
      timeoutSeconds: 10,
      healthPath: "/readyz",
      slo: { p95Ms: 99, p99Ms: 500, maxFailedRate: 0 },
    });
    expect(planFor({ profile: "soak", rate: 80, durationSeconds: 86_400, baseUrl: "http://x", keyPrefix: "s" }).stages).toEqual([{ target: 80, seconds: 86_400 }]);
  });

  it("makes six steps for stress, each a ramp then a hold, covering the whole duration", () => {
    const { startRate, stages } = stepStages(1200, 180);
    expect(startRate).toBe(100);
    expect(stages.filter((_, i) => i % 2 === 1)).toEqual([200, 400, 600, 800, 1000, 1200].map((target) => ({ target, seconds: 24 })));
    expect(stages.filter((_, i) => i % 2 === 0).map((s) => s.seconds)).toEqual([6, 6, 6, 6, 6, 6]);
    expect(planSeconds({ stages })).toBe(180);
    expect(PROFILE_SPECS.stress.slo).toEqual({ p95Ms: 2000, p99Ms: 5000, maxFailedRate: 0.05 });
  });

  it("integrates the rate over ramps and holds", () => {
    const plan = { startRate: 0, stages: [{ target: 100, seconds: 10 }, { target: 100, seconds: 10 }, { target: 0, seconds: 10 }] };
    expect(plannedBetween(plan, 0, 10)).toBe(500);
    expect(plannedBetween(plan, 10, 20)).toBe(1000);
    expect(plannedBetween(plan, 0, 30)).toBe(2000);
    expect(plannedBetween(plan, 5, 15)).toBe(375 + 500);
  });
});

describe("k6 options from the plan", () => {
  const base = planFor({ profile: "smoke", durationSeconds: 60, baseUrl: "http://127.0.0.1:1", keyPrefix: "k" });

  it("uses a constant arrival rate for one flat stage, with the SLO as thresholds", () => {
    expect(k6Options(base, "smoke")).toEqual({
      scenarios: { smoke: { executor: "constant-arrival-rate", rate: 50, timeUnit: "1s", duration: "60s", preAllocatedVUs: 10, maxVUs: 50 } },
      thresholds: { http_req_failed: ["rate==0"], "http_req_duration{expected_response:true}": ["p(95)<99", "p(99)<500"], checks: ["rate==1"] },
      summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],
      discardResponseBodies: true,
    });
  });

  it("uses a ramping arrival rate for stages, with loose stress gates", () => {
    const stress = planFor({ profile: "stress", rate: 600, durationSeconds: 60, baseUrl: "http://127.0.0.1:1", keyPrefix: "k" });
    const o = k6Options(stress, "stress") as { scenarios: { stress: Record<string, unknown> }; thresholds: Record<string, string[]> };
    expect(o.scenarios.stress).toMatchObject({ executor: "ramping-arrival-rate", startRate: 50, timeUnit: "1s", preAllocatedVUs: 60, maxVUs: 600 });
    expect((o.scenarios.stress.stages as unknown[]).slice(0, 2)).toEqual([{ target: 100, duration: "2s" }, { target: 100, duration: "8s" }]);
    expect(o.thresholds).toEqual({ http_req_failed: ["rate<=0.05"], "http_req_duration{expected_response:true}": ["p(95)<2000", "p(99)<5000"], checks: ["rate>=0.95"] });
  });

  it("reads k6's exit codes and its own thresholds", () => {
    expect([0, 99, 105, 107, 108, 42].map((c) => k6Outcome(c).status)).toEqual(["completed", "completed", "interrupted", "error", "error", "error"]);
    expect(k6Outcome(107).outcome).toBe("the script threw an exception");
    expect(k6Thresholds({ metrics: { http_req_failed: { values: { rate: 0.25 }, thresholds: { "rate==0": { ok: false } } }, http_reqs: { values: { count: 4 } } } })).toEqual([
      { name: "http_req_failed", condition: "rate==0", passed: false, observed: 0.25, detail: "k6 observed rate = 0.25" },
    ]);
    expect(k6Thresholds(undefined)).toEqual([]);
    expect([0, 1, 2, 3, 9].map((c) => loadgenOutcome(c).status)).toEqual(["completed", "error", "error", "interrupted", "error"]);
  });
});

describe("SLO gates from the ledger", () => {
  it("says how many failed out of how many, with the precision that shows a small share", () => {
    const slo = new SloEvaluator({ p95Ms: 99, p99Ms: 500, maxFailedRate: 0 });
    for (let i = 0; i < 140_640; i++) slo.add(entry(i, 202, i, 5));
    for (let i = 0; i < 17; i++) slo.add(entry(i, i % 2 === 0 ? 503 : 0, i, 10_000));
    const [failed, p95, p99] = slo.results();
    expect(failed).toEqual({ name: "failed requests", condition: "none failed", passed: false, observed: 17 / 140_657, detail: "17 of 140,657 failed (0.012 %)" });
    expect(p95).toMatchObject({ name: "latency p95", passed: true, observed: 5, detail: "p95 5 ms over 140,640 acknowledged requests" });
    expect(p99?.passed).toBe(true);
    expect([percentText(0, 10), percentText(1, 3), percentText(1, 1_000_000)]).toEqual(["0 %", "33.3 %", "0.00010 %"]);
  });

  it("fails latency on the acknowledged requests only, and fails a run with no request at all", () => {
    const slo = new SloEvaluator({ p95Ms: 99, p99Ms: 500, maxFailedRate: 0.05 });
    for (let i = 0; i < 96; i++) slo.add(entry(i, 202, i, i < 90 ? 20 : 150));
    for (let i = 0; i < 4; i++) slo.add(entry(i, 0, i, 10_000));
    const [failed, p95] = slo.results();
    expect(failed).toMatchObject({ passed: true, detail: "4 of 100 failed (4.0 %)" });
    expect(p95).toMatchObject({ passed: false, observed: 150 });
    expect(new SloEvaluator({ p95Ms: 99, p99Ms: 500, maxFailedRate: 0 }).results().map((r) => r.passed)).toEqual([false, false, false]);
  });
});

describe("schedule kept", () => {
  it("compares the requests started in each stage with those the plan scheduled", () => {
    const plan = { startRate: 10, stages: [{ target: 10, seconds: 2 }, { target: 30, seconds: 2 }] };
    const b = new FigureBuilder(T0 - 50, { slo: { p95Ms: 99, p99Ms: 500, maxFailedRate: 0 } });
    let n = 0;
    for (let i = 0; i < 20; i++) b.add(entry(n++, 202, i * 100)); // 10/s for 2 s
    for (let i = 0; i < 38; i++) b.add(entry(n++, 202, 2000 + Math.floor((i * 2000) / 38))); // 38 where 40 were planned
    expect(b.scheduleKept(plan)).toEqual([
      { from: 0, to: 2, kind: "hold", targetRps: 10, planned: 20, sent: 20, deviationPct: 0 },
      { from: 2, to: 4, kind: "ramp", targetRps: 30, planned: 40, sent: 38, deviationPct: -5 },
    ]);
  });
});

describe("engine choice", () => {
  it("defaults to loadgen, takes CP3_LOAD_ENGINE, and refuses anything else naming where it came from", () => {
    const saved = process.env.CP3_LOAD_ENGINE;
    try {
      delete process.env.CP3_LOAD_ENGINE;
      expect(engineName({})).toBe("loadgen");
      expect(engineName({ engine: "k6", k6: "/opt/k6" })).toBe("k6");
      process.env.CP3_LOAD_ENGINE = "k6";
      expect(engineName({})).toBe("k6");
      process.env.CP3_LOAD_ENGINE = "vegeta";
      expect(() => engineName({})).toThrow('CP3_LOAD_ENGINE: got "vegeta"; allowed: loadgen, k6');
      expect(() => engineName({ engine: "jmeter" })).toThrow('--engine: got "jmeter"; allowed: loadgen, k6');
      expect(() => engineName({ engine: "loadgen", k6: "/opt/k6" })).toThrow("--k6: given with the loadgen engine");
    } finally {
      if (saved === undefined) delete process.env.CP3_LOAD_ENGINE;
      else process.env.CP3_LOAD_ENGINE = saved;
    }
  });
});
