// A realistic RunReport for the report renderer's tests: 60 s of load with two fault windows (a broker
// partition at 20-30 s, database latency at 40-50 s), two experiments and one lost key.
import type { ExperimentResult, RunReport, TimelinePoint } from "../../reporting/model";

/** Keys that try to break out of the markup they are written into. */
export const HOSTILE_XML_KEY = `k<&">']]>`;
export const HOSTILE_HTML_KEY = `</script><img src=x onerror=alert(1)>`;
export const LOST_KEY = "order-000123";

/** 100 acknowledged/s except inside the fault windows (40/s, p95 250 ms, 30 % errors at 20-30 s). */
export function sampleTimeline(seconds = 60): TimelinePoint[] {
  return Array.from({ length: seconds }, (_, t) => {
    const partitioned = t >= 20 && t < 30;
    const slowed = t >= 40 && t < 50;
    return {
      t,
      acknowledged: partitioned ? 40 : 100,
      requests: partitioned ? 57 : 100,
      errorRate: partitioned ? 0.3 : 0,
      p95Ms: partitioned ? 250 : slowed ? 120 : 20,
    };
  });
}

function experiments(): ExperimentResult[] {
  return [
    {
      name: "broker-partition",
      description: "Cut the gateway off from NATS for 10 s.",
      startedAt: 18,
      endedAt: 34,
      steadyStateBefore: [{ name: "gateway health", observed: "HTTP 200", tolerance: "HTTP 200", passed: true }],
      steadyStateAfter: [{ name: "gateway health", observed: "HTTP 200", tolerance: "HTTP 200", passed: true }],
      faults: [{ kind: "network-partition", targets: ["cp3-ci-gateway"], parameters: { peer: "cp3-ci-nats" }, startedAt: 20, endedAt: 30, status: "applied", effect: "connect refused", removed: true }],
      recoverySeconds: 2.5,
      status: "passed",
    },
    {
      name: "db-latency",
      description: "Add 100 ms latency between the worker and Postgres.",
      startedAt: 38,
      endedAt: 55,
      steadyStateBefore: [{ name: "consumer lag", observed: "lag 3", tolerance: "lag <= 100", passed: true }],
      steadyStateAfter: [{ name: "consumer lag", observed: "lag 480", tolerance: "lag <= 100", passed: false }],
      faults: [
        { kind: "latency", targets: ["postgres"], parameters: { latencyMs: 100, jitterMs: 10 }, startedAt: 40, endedAt: 50, status: "applied", effect: "p95 +104 ms", removed: false, leftover: "toxic latency_downstream still on proxy postgres" },
        { kind: "packet-loss", targets: ["cp3-ci-worker"], parameters: { percent: 20 }, startedAt: 40, endedAt: 50, status: "skipped", effect: "sch_netem missing", removed: true },
      ],
      status: "failed",
      reason: "The consumer lag stayed above 100 after the fault was removed.",
    },
  ];
}

export function sampleReport(): RunReport {
  return {
    runId: "20250101T120000Z-7f3a",
    stack: "ci",
    verdict: "not-ready",
    reasons: ["experiment db-latency failed: the consumer lag stayed above 100", "1 acknowledged record lost"],
    startedAt: "2025-01-01T12:00:00.000Z",
    finishedAt: "2025-01-01T12:03:10.000Z",
    wallSeconds: 190.4,
    seed: 42,
    profile: "smoke",
    schedule: [
      { experiment: "broker-partition", startAt: 18 },
      { experiment: "db-latency", startAt: 38 },
    ],
    load: {
      profile: "smoke",
      engine: { name: "loadgen", version: "0.1.0", path: "/cache/toolchain/bin/loadgen" },
      engineExitCode: 0,
      engineOutcome: "the plan was carried out",
      engineStatus: "completed",
      plan: { startRate: 90, stages: [{ target: 90, seconds: 60 }], timeoutSeconds: 10, slo: { p95Ms: 99, p99Ms: 500, maxFailedRate: 0.05 } },
      durationSeconds: 60,
      requests: 5570,
      acknowledged: 5400,
      rejected4xx: 0,
      failed5xx: 150,
      timeouts: 20,
      achievedRps: 92.8,
      latencyMs: { p50: 12, p95: 180.25, p99: 260, max: 1500 },
      thresholds: [
        { name: "latency p95", condition: "p95 < 99 ms (acknowledged requests)", passed: false, observed: 180.25, detail: "p95 180.25 ms over 5,400 acknowledged requests" },
        { name: "failed requests", condition: "at most 5 % failed", passed: true, observed: 0.0305, detail: "170 of 5,570 failed (3.1 %)" },
      ],
      scheduleKept: [{ from: 0, to: 60, kind: "hold", targetRps: 90, planned: 5400, sent: 5570, deviationPct: 3.1 }],
      lagMs: { p50: 0.1, p99: 1.2, max: 4.5 },
      timeline: sampleTimeline(),
    },
    experiments: experiments(),
    integrity: {
      attempted: 5570,
      acknowledged: 5400,
      processed: 5425,
      lost: [{ key: LOST_KEY, acknowledgedAt: 24.2, when: "between-reads", seenThenGone: false }],
      duplicates: [],
      unexpected: [],
      unknown: [
        { key: "order-004001", outcome: "timeout", appeared: true },
        { key: "order-004002", outcome: "503", appeared: false },
      ],
      dead: 1,
      reads: 3,
      passed: false,
    },
    transport: {
      tls: true,
      nats: { servers: 1, tlsRequired: 1, unreadable: [] },
      postgres: { samples: 6, failedSamples: 1, sessions: 12, unencrypted: 1, byClient: { "worker-0": { sessions: 8, unencrypted: 1 }, gateway: { sessions: 4, unencrypted: 0 } } },
    },
    versions: { "load engine (loadgen)": "0.1.0", pulumi: "3.259.0", toxiproxy: "2.12.0", docker: "26.1.5" },
    steps: [
      { name: "setup", seconds: 2.1, ok: true },
      { name: "up", seconds: 48.3, ok: true },
      { name: "load+chaos", seconds: 62.0, ok: true },
      { name: "integrity", seconds: 4.4, ok: true },
    ],
  };
}
