// The health gate between `up` and any load: the gateway is ready (NATS and PostgreSQL reachable, consumer
// bound), NATS is healthy with JetStream enabled (through Toxiproxy, as the flows reach it), and, with
// observability on, Prometheus scrapes every target it should and Jaeger's query API answers.
import { getJson, waitForOk } from "../lib/http-probe";
import { StepError } from "../lib/progress";
import { PollTimeoutError } from "../lib/poll";
import { monitoringOf, tracingOf, waitForTargetsUp } from "../observability";
import type { SystemUnderTest } from "./system";

export async function healthGate(outputs: Record<string, unknown>, system: SystemUnderTest, signal?: AbortSignal): Promise<void> {
  const monitor = String(outputs.natsMonitorUrl ?? "");
  if (!monitor.startsWith("http://127.0.0.1:")) throw new StepError("health gate", `natsMonitorUrl output is "${monitor}", expected http://127.0.0.1:<port>`);
  const status = await waitForOk(`${monitor}/healthz?js-enabled-only=true`, 60_000, signal);
  if (status !== 200) throw new StepError("health gate", `NATS ${monitor}/healthz?js-enabled-only=true answered ${status || "nothing"} within 60 s`);
  const jsz = await getJson<{ config?: { store_dir?: string } }>(`${monitor}/jsz`);
  if (jsz.status !== 200 || !jsz.body?.config) throw new StepError("health gate", `NATS ${monitor}/jsz answered ${jsz.status} without a JetStream config`);
  const ready = await waitForOk(`${system.entryUrl}${system.drive.healthPath}`, 60_000, signal);
  if (ready !== 200) throw new StepError("health gate", `the entry ${system.entryUrl}${system.drive.healthPath} answered ${ready || "nothing"} within 60 s`);
  const monitoring = monitoringOf(outputs);
  if (monitoring) {
    await waitForTargetsUp(monitoring.client, monitoring.targets, { timeoutMs: 60_000, ...(signal ? { signal } : {}) }).catch((err: unknown) => {
      if (err instanceof PollTimeoutError) throw new StepError("health gate", `Prometheus ${monitoring.client.baseUrl}: ${err.message}`);
      throw err;
    });
  }
  const tracing = tracingOf(outputs);
  if (tracing) {
    const jaeger = await waitForOk(`${tracing.client.baseUrl}/api/services`, 60_000, signal);
    if (jaeger !== 200) throw new StepError("health gate", `Jaeger ${tracing.client.baseUrl}/api/services answered ${jaeger || "nothing"} within 60 s`);
  }
}
