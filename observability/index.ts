// Observability as the driver uses it: the stack's Prometheus (from its outputs), the dashboard panels, the
// targets' health and what Prometheus saw of a run; the stack's Jaeger and the run's trace coverage.
import type { TestbedOutputs } from "../components/testbed";
import { JaegerClient } from "../lib/jaeger-api";
import { PrometheusClient } from "../lib/prometheus-api";
import type { TraceSpanSpec } from "../testbed/spec";
import { dashboardPanels, type PanelDefinition } from "./panels";

export { detectFaults, detectionReasons, sinkNotifications, type AlertNotification, DETECTION_GRACE_SECONDS, describeAlert, PROCESS_FAULTS, type FaultDetection, type FiredAlert } from "./alerts";
export { collectObservability, rateWindowFor, waitForTargetsUp, type ObservabilityReport, type ObservedPanel, type PanelSeries } from "./collect";
export { costLine, measureCost, type CostReport } from "./cost";
export { coverageLine, coverageReasons, measureTraceCoverage, MIN_TRACE_COVERAGE, type ProcessStop, type TraceCoverage } from "./traces";
export { dashboardPanels, legendOf, RATE_WINDOW, withRateWindow, type PanelDefinition, type PanelQuery } from "./panels";

export interface StackMonitoring {
  client: PrometheusClient;
  /** Targets Prometheus should scrape, all up before the load. */
  targets: number;
  scrapeIntervalSeconds: number;
  panels: PanelDefinition[];
  alerts: string[];
  sloSkipped: string;
  alertSinkUrl: string;
}

/** The stack's monitoring, or undefined when it runs none (observability off, Kubernetes, an older stack). */
export function monitoringOf(outputs: Record<string, unknown>): StackMonitoring | undefined {
  const o = outputs.observability as Partial<TestbedOutputs["observability"]> | undefined;
  if (!o?.enabled || !o.dashboard) return undefined;
  return { client: new PrometheusClient(String(o.prometheusUrl)), targets: Number(o.targets ?? 0), scrapeIntervalSeconds: Number(o.scrapeIntervalSeconds ?? 5), panels: dashboardPanels(o.dashboard), alerts: o.alerts ?? [], sloSkipped: o.sloSkipped ?? "", alertSinkUrl: String(o.alertSinkUrl ?? "") };
}

export interface StackTracing {
  client: JaegerClient;
  sampleEvery: number;
  maxTraces: number;
  spans: TraceSpanSpec[];
}

/** The stack's Jaeger, or undefined when it runs none (tracing or observability off, Kubernetes, an older stack). */
export function tracingOf(outputs: Record<string, unknown>): StackTracing | undefined {
  const t = (outputs.observability as Partial<TestbedOutputs["observability"]> | undefined)?.traces;
  if (!t?.enabled) return undefined;
  return { client: new JaegerClient(String(t.queryUrl)), sampleEvery: Number(t.sampleEvery ?? 1), maxTraces: Number(t.maxTraces ?? 0), spans: t.spans ?? [] };
}
