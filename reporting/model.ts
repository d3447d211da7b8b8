// What one CP3 run found, in the shape report.json is written in. The HTML report and junit.xml are both
// rendered from this one object, so every figure in them is also in the JSON. Each step's types live with the
// library that produces them (load/types.ts, chaos/results.ts, integrity/results.ts); the report imports them.
import type { CampaignFigures } from "../chaos/campaign-figures";
import type { PlannedExperiment } from "../chaos/campaign-plan";
import type { ExperimentResult } from "../chaos/results";
import type { MemoryReport } from "../load/memory";
import type { IntegrityResult } from "../integrity/results";
import type { LoadResult } from "../load/types";
import type { SupplyChainScan } from "../supply-chain/scan";
import type { TransportSecurity } from "../security/transport";
import type { ObservabilityReport } from "../observability/collect";
import type { TraceCoverage } from "../observability/traces";
import type { CostReport } from "../observability/cost";

export type { LoadResult, StageKept, ThresholdResult, TimelinePoint } from "../load/types";
export type { ExperimentResult, FaultResult, ProbeResult } from "../chaos/results";
export type { CampaignFigures } from "../chaos/campaign-figures";
export type { MemoryReport } from "../load/memory";
export type { IntegrityResult, LostKey, UnknownKey } from "../integrity/results";
export type { SupplyChainScan } from "../supply-chain/scan";
export type { TransportSecurity } from "../security/transport";
export type { ObservabilityReport, ObservedPanel } from "../observability/collect";
export type { TraceCoverage } from "../observability/traces";
export type { CostReport } from "../observability/cost";

export type Verdict = "ready" | "not-ready" | "error" | "interrupted";

export interface RunReport {
  runId: string;
  stack: string;
  verdict: Verdict;
  /** One line per reason the verdict is not "ready". */
  reasons: string[];
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  seed: number;
  profile: string;
  /** The system under test (its description's name). */
  system?: string;
  /** The chaos schedule: which experiment starts when (seconds since the load started), in which lane. */
  schedule: PlannedExperiment[];
  /** --campaign: its figures per experiment and the placement of every lost or duplicated record. */
  campaign?: CampaignFigures;
  /** Soak and campaign runs: each container's memory over the load and the growth verdicts. */
  memory?: MemoryReport;
  load?: LoadResult;
  experiments: ExperimentResult[];
  integrity?: IntegrityResult;
  /** The stack's images: image checks and pending Debian updates; `error` when the scan could not run. */
  supplyChain?: SupplyChainScan | { error: string };
  /** TLS inside the testbed as the load found it: NATS requiring it, PostgreSQL's sessions encrypted. */
  transport?: TransportSecurity;
  /** What the stack's Prometheus saw over the load and the drain: RED, JetStream, PostgreSQL and the system's own panels. */
  observability?: ObservabilityReport;
  /** CPU and memory per 1,000 processed records, from the container metrics (monitoring on, an oracle). */
  cost?: CostReport;
  /** With tracing on: the share of processed records whose trace in Jaeger holds every expected span. */
  traces?: TraceCoverage;
  /** Pinned tool versions (from toolchain/versions.json) and the engine's version. */
  versions: Record<string, string>;
  /** Each step of the run with its duration, in order. */
  steps: { name: string; seconds: number; ok: boolean }[];
}
