// Campaigns (issue 16): validation of campaign files (each mistake names its field), the seeded plan (counts,
// lanes, warm-up and quiet tail, replay by seed) and the per-experiment figures with the placement of lost records.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtInCampaigns, campaignFigures, ExperimentError, findCampaign, loadCampaignFile, occurrences, planCampaign, plannedSeconds, validateCampaign, type ExperimentResult } from "../../chaos";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const base = (): Json => ({
  name: "malformed-base",
  description: "the valid campaign every row breaks in one place",
  experiments: [
    { experiment: "nats-restart", count: 4, durationSeconds: 5 },
    { experiment: "worker-kill", meanIntervalSeconds: 60, overlap: true },
  ],
});

const ROWS: { what: string; mutate: (c: Json) => void; field: string }[] = [
  { what: "no experiments", mutate: (c) => (c.experiments = []), field: "experiments" },
  { what: "experiments not a list", mutate: (c) => (c.experiments = "nats-restart"), field: "experiments" },
  { what: "unknown built-in", mutate: (c) => (c.experiments[0].experiment = "nats-explode"), field: "experiments[0].experiment" },
  { what: "experiment a number", mutate: (c) => (c.experiments[0].experiment = 3), field: "experiments[0].experiment" },
  { what: "count and interval", mutate: (c) => (c.experiments[0].meanIntervalSeconds = 30), field: "experiments[0]" },
  { what: "neither count, interval nor weight", mutate: (c) => delete c.experiments[0].count, field: "experiments[0]" },
  { what: "count zero", mutate: (c) => (c.experiments[0].count = 0), field: "experiments[0].count" },
  { what: "count a fraction", mutate: (c) => (c.experiments[0].count = 2.5), field: "experiments[0].count" },
  { what: "interval zero", mutate: (c) => (c.experiments[1].meanIntervalSeconds = 0), field: "experiments[1].meanIntervalSeconds" },
  { what: "overlap a string", mutate: (c) => (c.experiments[1].overlap = "yes"), field: "experiments[1].overlap" },
  { what: "duration too long", mutate: (c) => (c.experiments[0].durationSeconds = 99999), field: "experiments[0].durationSeconds" },
  { what: "misspelt entry key", mutate: (c) => (c.experiments[0].cout = 3), field: "experiments[0].cout" },
  { what: "same experiment twice", mutate: (c) => c.experiments.push({ experiment: "nats-restart", count: 1 }), field: "experiments" },
  { what: "weight without a campaign interval", mutate: (c) => (c.experiments[0] = { experiment: "nats-restart", weight: 2 }), field: "meanIntervalSeconds" },
  { what: "campaign interval without weights", mutate: (c) => (c.meanIntervalSeconds = 30), field: "meanIntervalSeconds" },
  { what: "negative weight", mutate: (c) => ((c.meanIntervalSeconds = 30), (c.experiments[0] = { experiment: "nats-restart", weight: -1 })), field: "experiments[0].weight" },
  { what: "warm-up negative", mutate: (c) => (c.warmupSeconds = -5), field: "warmupSeconds" },
  { what: "quiet tail a string", mutate: (c) => (c.quietTailSeconds = "60"), field: "quietTailSeconds" },
  { what: "two NATS servers", mutate: (c) => (c.natsReplicas = 2), field: "natsReplicas" },
  { what: "slo without p99", mutate: (c) => (c.slo = { p95Ms: 100, maxFailedRate: 0 }), field: "slo.p99Ms" },
  { what: "slo failed rate above 1", mutate: (c) => (c.slo = { p95Ms: 100, p99Ms: 500, maxFailedRate: 2 }), field: "slo.maxFailedRate" },
  { what: "name not kebab-case", mutate: (c) => (c.name = "Crash Storm"), field: "name" },
  { what: "misspelt top-level key", mutate: (c) => (c.experiment = []), field: "experiment" },
  { what: "inline experiment with a bad fault kind", mutate: (c) => (c.experiments[0].experiment = { name: "x", description: "y", steadyState: [], method: [{ kind: "explode", target: { role: "nats", pick: "first" }, durationSeconds: 5 }] }), field: "experiments[0].experiment: method[0].kind" },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-campaigns-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("campaign files", () => {
  it("accepts the base every row breaks", () => {
    const c = validateCampaign(base(), "base");
    expect(c.entries.map((e) => [e.experiment.name, e.count, e.meanIntervalSeconds, e.overlap])).toEqual([["nats-restart", 4, undefined, false], ["worker-kill", undefined, 60, true]]);
    expect(c.entries[0]!.experiment.method[0]!.durationSeconds).toBe(5);
    expect([c.warmupSeconds, c.quietTailSeconds, c.recoveryAllowanceSeconds, c.beforeWaitSeconds, c.natsReplicas]).toEqual([60, 60, 5, 60, 1]);
  });

  it.each(ROWS)("refuses $what, naming $field", ({ mutate, field }) => {
    const raw = base();
    mutate(raw);
    const file = path.join(dir, `${field.replace(/[^a-z0-9]+/gi, "_")}-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(raw));
    expect(() => loadCampaignFile(file)).toThrow(ExperimentError);
    expect(() => loadCampaignFile(file)).toThrow(`${file}: ${field}: got`);
  });

  it("counts its rows", () => expect(ROWS.length).toBe(24));

  it("refuses a file that is not JSON, naming the file", () => {
    const file = path.join(dir, "broken.json");
    fs.writeFileSync(file, "{ name: x");
    expect(() => loadCampaignFile(file)).toThrow(/broken\.json: not valid JSON/);
  });
});

describe("example campaigns", () => {
  it("loads every file in chaos/examples/campaigns, its inline experiment included", () => {
    const examples = path.join(__dirname, "..", "..", "chaos", "examples", "campaigns");
    const files = fs.readdirSync(examples).filter((f) => f.endsWith(".json"));
    expect(files).toEqual(["storm-with-partitions.json"]);
    const c = loadCampaignFile(path.join(examples, files[0]!));
    expect(c.entries.map((e) => [e.experiment.name, e.overlap])).toEqual([["nats-restart", false], ["postgres-restart", false], ["worker-nats-partition", true], ["gateway-pause", true]]);
    expect(Object.fromEntries(occurrences(c, 1200 - 180))).toEqual({ "nats-restart": 20, "postgres-restart": 3, "worker-nats-partition": 8, "gateway-pause": 5 });
  });
});

describe("built-in campaigns", () => {
  it("are the four the CLI names, valid", () => {
    expect(builtInCampaigns().map((c) => c.name)).toEqual(["crash-storm", "network", "everything", "nats-cluster"]);
    expect(findCampaign("nats-cluster").natsReplicas).toBe(3);
    expect(() => findCampaign("storm")).toThrow(/unknown campaign "storm": the built-in campaigns are crash-storm, network, everything, nats-cluster/);
  });

  it("everything, over 30 minutes, holds the counts issue 16 asks for", () => {
    const counts = Object.fromEntries(occurrences(findCampaign("everything"), 1800 - 120));
    expect(counts).toEqual({ "nats-restart": 56, "postgres-restart": 11, "nats-link-reset": 5, "jetstream-store-full": 2, "worker-kill": 22, "worker-nats-partition": 11, "data-packet-loss": 7, "postgres-latency": 7, "gateway-cpu-starvation": 2 });
  });

  it("splits weighted entries by weight, exactly to the total", () => {
    const counts = Object.fromEntries(occurrences(findCampaign("nats-cluster"), 480));
    expect(counts).toEqual({ "nats-kill-one": 6, "nats-kill-two": 4, "nats-kill-all": 2, "worker-kill": 5 });
  });
});

describe("planCampaign", () => {
  const c = findCampaign("everything");
  const plan = planCampaign(c, 1201, 1800);
  const definitions = new Map(c.entries.map((e) => [e.experiment.name, e.experiment]));
  const span = (name: string) => plannedSeconds(definitions.get(name)!, c.recoveryAllowanceSeconds);

  it("replays from its seed, and another seed draws another order", () => {
    expect(planCampaign(c, 1201, 1800)).toEqual(plan);
    expect(planCampaign(c, 1202, 1800)).not.toEqual(plan);
  });

  it("keeps every fault between the warm-up and the quiet tail", () => {
    expect(plan.length).toBe(123);
    for (const p of plan) {
      expect(p.startAt).toBeGreaterThanOrEqual(60);
      expect(p.startAt + span(p.experiment)).toBeLessThanOrEqual(1800 - 60);
    }
  });

  it("never plans two experiments of one lane at once; the lanes overlap each other", () => {
    for (const lane of ["main", "overlap"] as const) {
      const l = plan.filter((p) => p.lane === lane);
      for (let i = 1; i < l.length; i++) expect(l[i]!.startAt).toBeGreaterThanOrEqual(l[i - 1]!.startAt + span(l[i - 1]!.experiment));
    }
    const overlapping = plan.filter((p) => p.lane === "overlap").filter((o) => plan.some((m) => m.lane === "main" && m.startAt < o.startAt + span(o.experiment) && o.startAt < m.startAt + span(m.experiment)));
    expect(overlapping.length).toBeGreaterThan(10);
  });

  it("refuses a load too short for a lane, naming the lane and what it needs", () => {
    expect(() => planCampaign(c, 1, 200)).toThrow("campaign everything: its overlap lane needs 90 s (1 x worker-kill 13 s, 1 x worker-nats-partition 23 s, 1 x data-packet-loss 18 s, 1 x postgres-latency 18 s, 1 x gateway-cpu-starvation 18 s) but the window between the warm-up and the quiet tail is 80 s");
    expect(() => planCampaign(c, 1, 100)).toThrow(/leaves no time between the warm-up \(60 s\) and the quiet tail \(60 s\); allowed: a --duration above 120 s/);
  });
});

describe("campaignFigures", () => {
  const fault = (kind: string, startedAt: number, endedAt: number, status: "applied" | "skipped" = "applied") => ({ kind, targets: ["x"], parameters: {}, startedAt, endedAt, status, effect: "", removed: true });
  const exp = (name: string, startedAt: number, endedAt: number, status: ExperimentResult["status"], faults: ReturnType<typeof fault>[], recoverySeconds?: number): ExperimentResult => ({
    name, description: "", startedAt, endedAt, steadyStateBefore: [], steadyStateAfter: [], faults, status, ...(recoverySeconds !== undefined ? { recoverySeconds } : {}),
  });
  const results = [
    exp("nats-restart", 60, 75, "passed", [fault("container-restart", 63, 68)], 1),
    exp("worker-kill", 70, 80, "passed", [fault("container-kill", 72, 77)], 0),
    exp("nats-restart", 100, 115, "passed", [fault("container-restart", 103, 108)], 3),
    exp("nats-restart", 200, 260, "failed", [fault("container-restart", 203, 208)]),
    exp("worker-kill", 300, 300, "skipped", []),
  ];
  const f = campaignFigures("mini", results, { acknowledged: 5000, loadSeconds: 400, lostAt: [10, 74, 150, 210, 390], duplicatedAt: [105], clientErrorsAt: [64, 65, 73, 250, 320] });

  it("counts per experiment, with recovery percentiles and client errors in its windows", () => {
    expect(f.experiments).toEqual([
      { experiment: "nats-restart", faultKinds: ["container-restart"], planned: 3, injected: 3, passed: 2, failed: 1, skipped: 0, errors: 0, recoverySeconds: { p50: 1, p95: 3, max: 3 }, clientErrors: 4, lost: 2, duplicated: 1 },
      { experiment: "worker-kill", faultKinds: ["container-kill"], planned: 2, injected: 1, passed: 1, failed: 0, skipped: 1, errors: 0, recoverySeconds: { p50: 0, p95: 0, max: 0 }, clientErrors: 1, lost: 1, duplicated: 0 },
    ]);
  });

  it("places each lost or duplicated record in its windows, or before, between or after them", () => {
    expect(f.placements).toEqual([
      { where: "window 1: nats-restart", from: 63, to: 75, lost: 1, duplicated: 0 },
      { where: "window 2: worker-kill", from: 72, to: 80, lost: 1, duplicated: 0 },
      { where: "window 3: nats-restart", from: 103, to: 115, lost: 0, duplicated: 1 },
      { where: "window 4: nats-restart", from: 203, to: 260, lost: 1, duplicated: 0 },
      { where: "before the first fault", from: 0, to: 63, lost: 1, duplicated: 0 },
      { where: "between faults", from: 63, to: 260, lost: 1, duplicated: 0 },
      { where: "after the last fault", from: 260, to: 400, lost: 1, duplicated: 0 },
    ]);
    expect(f.summary).toBe("4 faults of 2 kinds, 5000 acknowledged, 5 lost, 1 duplicated");
  });
});
