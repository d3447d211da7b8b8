// The run's options and verdict: bad flags are refused before anything exists, and the verdict follows the
// load engine's outcome, each SLO gate, each experiment and the integrity check.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { parseRunOptions } from "../../pipeline/options";
import { decideVerdict, exitCodeFor } from "../../pipeline/verdict";
import type { LoadResult, RunReport } from "../../reporting/model";

const load = (over: Partial<LoadResult> = {}): LoadResult => ({
  profile: "smoke",
  engine: { name: "loadgen", version: "0.1.0", path: "/bin/loadgen" },
  engineExitCode: 0,
  engineOutcome: "the plan was carried out",
  engineStatus: "completed",
  plan: { startRate: 50, stages: [{ target: 50, seconds: 60 }], timeoutSeconds: 10, slo: { p95Ms: 99, p99Ms: 500, maxFailedRate: 0 } },
  durationSeconds: 60,
  requests: 3000,
  acknowledged: 3000,
  rejected4xx: 0,
  failed5xx: 0,
  timeouts: 0,
  achievedRps: 50,
  latencyMs: { p50: 5, p95: 20, p99: 40, max: 90 },
  thresholds: [{ name: "failed requests", condition: "none failed", passed: true, observed: 0, detail: "0 of 3,000 failed (0 %)" }],
  scheduleKept: [],
  timeline: [],
  ...over,
});
const base: Pick<RunReport, "load" | "experiments" | "integrity"> = { load: load(), experiments: [] };

describe("parseRunOptions", () => {
  it("applies the defaults of the main job", () => {
    const o = parseRunOptions({});
    expect(o).toMatchObject({ profile: "smoke", durationSeconds: 60, experiments: ["worker-kill", "nats-restart"], keep: false, reportDir: "report", stack: undefined, rate: undefined, engine: "loadgen" });
    expect(Number.isInteger(o.seed)).toBe(true);
  });

  it("takes every flag", () => {
    const system = path.join(projectRoot, "examples", "pypi-service", "system.yaml");
    expect(parseRunOptions({ profile: "soak", duration: "24h", rate: "80", experiments: "none", seed: "42", keep: true, "report-dir": "out", stack: "ci-x1", system: path.relative(process.cwd(), system), "trust-host-cas": "false", tls: "off" })).toEqual({
      stack: "ci-x1", profile: "soak", durationSeconds: 86_400, rate: 80, experiments: [], definitions: [], seed: 42, schedule: [], maxRssGrowth: 0.1, strictScan: false, keep: true, reportDir: "out", engine: "loadgen",
      settings: { system, trustHostCAs: "false", tls: false },
    });
  });

  it("takes a campaign by name or file: its experiments, a two-lane schedule from the seed, and the growth limit", () => {
    const o = parseRunOptions({ campaign: "crash-storm", profile: "soak", duration: "30m", seed: "5", "max-rss-growth": "15" });
    expect(o.campaign!.name).toBe("crash-storm");
    expect(o.experiments).toEqual(["nats-restart", "worker-kill"]);
    expect(o.definitions.map((d) => d.method[0]!.durationSeconds)).toEqual([5, 5]);
    expect(o.schedule.filter((s) => s.lane === "main").length).toBe(56);
    expect(o.schedule.filter((s) => s.lane === "overlap").length).toBe(28);
    expect(o.maxRssGrowth).toBe(0.15);
    expect(parseRunOptions({ campaign: "chaos/examples/campaigns/storm-with-partitions.json", duration: "20m", seed: "5" }).campaign!.name).toBe("storm-with-partitions");
  });

  it("takes experiment files beside built-in names, and places them by the seed", () => {
    const o = parseRunOptions({ experiments: "worker-kill,chaos/examples/postgres-slow-and-lossy.json", seed: "7", duration: "120s" });
    expect(o.experiments).toEqual(["worker-kill", "postgres-slow-and-lossy"]);
    expect(o.definitions[1]!.method.map((f) => f.kind)).toEqual(["latency", "packet-loss"]);
    expect(o.schedule.map((s) => s.experiment)).toEqual(["worker-kill", "postgres-slow-and-lossy"]);
    expect(parseRunOptions({ experiments: "worker-kill,chaos/examples/postgres-slow-and-lossy.json", seed: "7", duration: "120s" }).schedule).toEqual(o.schedule);
  });

  it.each([
    [{ experiments: "nope.json" }, "--experiments: "],
    [{ profile: "spike" }, '--profile: got "spike"; allowed: smoke, load, stress, soak'],
    [{ duration: "5" }, '--duration: got "5"; allowed: a whole number with s, m or h'],
    [{ duration: "5s" }, '--duration: got "5s"'],
    [{ rate: "0" }, '--rate: got "0"'],
    [{ rate: "1.5" }, '--rate: got "1.5"'],
    [{ seed: "-1" }, '--seed: got "-1"'],
    [{ experiments: "nats-restart,nope" }, "--experiments: "],
    [{ experiments: "worker-kill,worker-kill" }, "each experiment may be named once"],
    [{ stack: "prod" }, 'unknown stack "prod"'],
    [{ "trust-host-cas": "yes" }, '--trust-host-cas: got "yes"; allowed: auto, true, false'],
    [{ tls: "true" }, '--tls: got "true"; allowed: on, off'],
    [{ system: "nope.yaml" }, "--system: "],
    [{ duration: "30s" }, "--experiments with --duration: the load runs 30 s but the experiments need"],
    [{ campaign: "storm" }, '--campaign: unknown campaign "storm": the built-in campaigns are crash-storm, network, everything, nats-cluster; or give a JSON file'],
    [{ campaign: "everything", experiments: "worker-kill" }, "--campaign and --experiments: got both; allowed: one of them"],
    [{ campaign: "everything", duration: "2m" }, "--campaign with --duration: campaign everything: the load runs 120 s, which leaves no time between the warm-up (60 s) and the quiet tail (60 s)"],
    [{ "max-rss-growth": "ten" }, '--max-rss-growth: got "ten"; allowed: a percentage from 0 to 1000 (default 10)'],
    [{ "max-rss-growth": "-5" }, '--max-rss-growth: got "-5"'],
  ])("refuses %j", (values, message) => {
    expect(() => parseRunOptions(values)).toThrow(message);
  });
});

describe("decideVerdict", () => {
  it("is ready when every gate passed", () => {
    expect(decideVerdict(base, {})).toEqual({ verdict: "ready", reasons: [] });
  });

  it("with TLS on, fails on a NATS server not requiring it, a plaintext PostgreSQL session or no reading at all; TLS off is no finding", () => {
    const transport = (t: { tlsRequired?: number; unencrypted?: number; samples?: number; tls?: boolean }) => ({
      tls: t.tls ?? true,
      nats: { servers: 3, tlsRequired: t.tlsRequired ?? 3, unreadable: t.tlsRequired === 2 ? ["cp3-ci-nats-2"] : [] },
      postgres: { samples: t.samples ?? 5, failedSamples: 0, sessions: 10, unencrypted: t.unencrypted ?? 0, byClient: { gateway: { sessions: 4, unencrypted: 0 }, migration: { sessions: 6, unencrypted: t.unencrypted ?? 0 } } },
    });
    expect(decideVerdict({ ...base, transport: transport({}) }, {})).toEqual({ verdict: "ready", reasons: [] });
    expect(decideVerdict({ ...base, transport: transport({ tls: false, unencrypted: 10, tlsRequired: 0 }) }, {})).toEqual({ verdict: "ready", reasons: [] });
    expect(decideVerdict({ ...base, transport: transport({ tlsRequired: 2, unencrypted: 2 }) }, {})).toEqual({
      verdict: "not-ready",
      reasons: ["TLS: 1 of 3 NATS server(s) do not require TLS (/varz unreadable: cp3-ci-nats-2)", "TLS: 2 of 10 PostgreSQL TCP session(s) unencrypted (migration 2)"],
    });
    expect(decideVerdict({ ...base, transport: transport({ samples: 0 }) }, {}).reasons).toEqual(["TLS: PostgreSQL's sessions could not be read once during the load"]);
  });

  it("fails on a failed SLO gate, naming what was observed, even when the engine exited 0", () => {
    const failed = { name: "failed requests", condition: "none failed", passed: false, observed: 17 / 140_657, detail: "17 of 140,657 failed (0.012 %)" };
    const v = decideVerdict({ ...base, load: load({ thresholds: [failed] }) }, {});
    expect(v).toEqual({ verdict: "not-ready", reasons: ["SLO failed requests: none failed failed: 17 of 140,657 failed (0.012 %)"] });
  });

  it("treats an engine error as an error of the testbed, and missing gates as not evaluated", () => {
    const k6Threw = load({ engine: { name: "k6", version: "1.4.2", path: "/usr/bin/k6" }, engineExitCode: 107, engineOutcome: "the script threw an exception", engineStatus: "error" });
    expect(decideVerdict({ ...base, load: k6Threw }, {})).toEqual({ verdict: "error", reasons: ["the load engine k6 exited 107: the script threw an exception"] });
    expect(decideVerdict({ ...base, load: load({ engineExitCode: 3, engineOutcome: "stopped by a signal", engineStatus: "interrupted" }) }, {}).verdict).toBe("error");
    expect(decideVerdict({ ...base, load: load({ thresholds: [] }) }, {}).reasons).toEqual(["no SLO gate was evaluated"]);
  });

  it("fails on a failed experiment, a leftover fault, pending records and lost keys", () => {
    const v = decideVerdict(
      {
        ...base,
        experiments: [
          { name: "nats-restart", description: "", startedAt: 5, endedAt: 20, steadyStateBefore: [], steadyStateAfter: [], status: "failed", reason: "lag 5000 over 1000", faults: [{ kind: "loss", targets: ["w"], parameters: {}, startedAt: 5, endedAt: 10, status: "applied", effect: "", removed: false, leftover: "iptables rule" }] },
        ],
        integrity: { attempted: 2, acknowledged: 2, processed: 1, lost: [{ key: "k1", acknowledgedAt: 1, when: "before-first-read", seenThenGone: false }], duplicates: [], unexpected: [], unknown: [], dead: 0, reads: 1, passed: false },
      },
      { pendingAfterDrain: 3 },
    );
    expect(v.verdict).toBe("not-ready");
    expect(v.reasons).toEqual([
      "experiment nats-restart failed: lag 5000 over 1000",
      "experiment nats-restart: fault loss left behind: iptables rule",
      "3 record(s) still pending after the drain",
      "1 acknowledged record(s) lost: k1",
    ]);
  });

  it("says interrupted and error first, and maps verdicts to exit codes", () => {
    expect(decideVerdict(base, { interrupted: true, infrastructureError: "x" }).verdict).toBe("interrupted");
    expect(decideVerdict(base, { infrastructureError: 'step "up" failed' })).toEqual({ verdict: "error", reasons: ['step "up" failed'] });
    expect(["ready", "not-ready", "error", "interrupted"].map((v) => exitCodeFor(v as "ready"))).toEqual([0, 1, 2, 130]);
  });
});
