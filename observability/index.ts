// Observability as the driver uses it: the stack's Prometheus (from its outputs), the dashboard panels, the
// targets' health and what Prometheus saw of a run.
import type { TestbedOutputs } from "../components/testbed";
import { PrometheusClient } from "../lib/prometheus-api";
import { dashboardPanels, type PanelDefinition } from "./panels";

export { detectFaults, detectionReasons, sinkNotifications, type AlertNotification, DETECTION_GRACE_SECONDS, describeAlert, PROCESS_FAULTS, type FaultDetection, type FiredAlert } from "./alerts";
export { collectObservability, rateWindowFor, waitForTargetsUp, type ObservabilityReport, type ObservedPanel, type PanelSeries } from "./collect";
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
