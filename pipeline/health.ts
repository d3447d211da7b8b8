// The health gate between `up` and any load: the gateway is ready (NATS and PostgreSQL reachable, consumer
// bound), NATS is healthy with JetStream enabled (through Toxiproxy, as the flows reach it), and, with
// observability on, Prometheus scrapes every target it should and Jaeger's query API answers.
import { waitForOk } from "../lib/http-probe";
import { NatsMonitorClient } from "../lib/nats-monitor";
import { StepError } from "../lib/progress";
import { PollTimeoutError } from "../lib/poll";
import { monitoringOf, tracingOf, waitForTargetsUp } from "../observability";
import type { SystemUnderTest } from "./system";

export async function healthGate(outputs: Record<string, unknown>, system: SystemUnderTest, signal?: AbortSignal): Promise<void> {
  let nats: NatsMonitorClient;
  try {
    nats = new NatsMonitorClient(String(outputs.natsMonitorUrl ?? ""));
  } catch (err) {
    throw new StepError("health gate", (err as Error).message);
  }
  const status = await waitForOk(nats.healthUrl, 60_000, signal);
  if (status !== 200) throw new StepError("health gate", `NATS ${nats.healthUrl} answered ${status || "nothing"} within 60 s`);
  await nats.jetStreamConfig().catch((err: unknown) => {
    throw new StepError("health gate", (err as Error).message);
  });
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
