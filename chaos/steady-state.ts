// The steady-state hypothesis: probes with tolerances, checked before the method (it runs only if all hold)
// and polled after it until they hold again or a deadline passes.
import type { ProbeResult } from "./results";
import { inDockerContainer, inKubernetesWorkload, type ExecIn } from "../lib/workload-exec";
import { kubeconfigPath } from "../cluster";
import { getJson } from "../lib/http-probe";
import { NatsMonitorClient } from "../lib/nats-monitor";
import { poll } from "../lib/poll";
import { currentHostUrl } from "./engine";
import type { ChaosOptions, ChaosTargets, ProbeSpec } from "./types";

const execFor = (t: ChaosTargets): ExecIn => (t.platform === "kubernetes" ? inKubernetesWorkload(kubeconfigPath(), t.namespace) : inDockerContainer);

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function gatewayReady(t: ChaosTargets): Promise<ProbeResult> {
  const tolerance = "HTTP 200";
  try {
    const entry = [t.containers[t.entry.service] ?? []].flat()[0];
    // A NodePort keeps its number while pods come and go; a Docker port is looked up again after a restart.
    const where = entry && t.platform === "docker" ? await currentHostUrl(t.gatewayUrl, entry) : { url: t.gatewayUrl, moved: false };
    const r = await getJson(`${where.url}${t.entry.healthPath}`, 3000);
    const moved = where.moved ? ` at ${where.url} (the host port moved from ${new URL(t.gatewayUrl).port} when it restarted)` : "";
    return { name: "gateway-ready", observed: `HTTP ${r.status}${moved}`, tolerance, passed: r.status === 200 };
  } catch (err) {
    return { name: "gateway-ready", observed: `no answer (${message(err)})`, tolerance, passed: false };
  }
}

async function consumerLag(t: ChaosTargets, max: number, which: { name: string; consumer: string } = t.stream): Promise<ProbeResult> {
  const name = which === t.stream ? "consumer-lag" : `consumer-lag ${which.name}/${which.consumer}`;
  const tolerance = `num_pending + num_ack_pending <= ${max}`;
  try {
    const consumer = (await new NatsMonitorClient(t.natsMonitorUrl).consumers()).find((c) => c.stream === which.name && c.name === which.consumer);
    if (!consumer) return { name, observed: `consumer ${which.name}/${which.consumer} not found`, tolerance, passed: false };
    const lag = consumer.pending + consumer.ackPending;
    return { name, observed: `lag ${lag} (pending ${consumer.pending}, ack pending ${consumer.ackPending})`, tolerance, passed: lag <= max };
  } catch (err) {
    return { name, observed: message(err), tolerance, passed: false };
  }
}

/**
 * Asked with curl inside the service's first container (only the entry is published on 127.0.0.1, and host
 * traffic goes nowhere else), so the answer is the service's own, not the network's.
 */
async function serviceHttp(t: ChaosTargets, p: Extract<ProbeSpec, { probe: "http" }>): Promise<ProbeResult> {
  const name = `http ${p.service}:${p.port}${p.path}`;
  const tolerance = `HTTP ${p.status} within ${p.maxLatencyMs} ms`;
  const container = [t.containers[p.service] ?? []].flat()[0];
  if (!container) return { name, observed: `no container of service ${p.service} in this stack (services: ${Object.keys(t.roles).join(", ")})`, tolerance, passed: false };
  try {
    const seconds = Math.max(1, Math.ceil(p.maxLatencyMs / 1000) + 1);
    const r = await execFor(t)(container, ["curl", "-s", "-o", "/dev/null", "--max-time", String(seconds), "-w", "%{http_code} %{time_total}", `http://127.0.0.1:${p.port}${p.path}`], (seconds + 5) * 1000);
    const [code, total] = r.output.trim().split(" ");
    const ms = Math.round(Number(total) * 1000);
    const status = Number(code);
    return { name, observed: status === 0 ? `no answer (curl exit ${r.exitCode})` : `HTTP ${status} in ${ms} ms`, tolerance, passed: status === p.status && ms <= p.maxLatencyMs };
  } catch (err) {
    return { name, observed: `could not ask (${message(err)})`, tolerance, passed: false };
  }
}

function errorRate(opts: ChaosOptions, max: number, windowSeconds: number): ProbeResult {
  const name = "error-rate";
  const tolerance = `<= ${(max * 100).toFixed(1)} % over ${windowSeconds} s`;
  // Without a load there is no client error rate to judge: the probe passes and says it was skipped.
  if (!opts.errorRate) return { name, observed: "skipped: no load running", tolerance, passed: true };
  const rate = opts.errorRate(windowSeconds);
  return { name, observed: `${(rate * 100).toFixed(1)} %`, tolerance, passed: rate <= max };
}

export async function checkSteadyState(probes: ProbeSpec[], t: ChaosTargets, opts: ChaosOptions): Promise<ProbeResult[]> {
  return Promise.all(
    probes.map((p) => {
      switch (p.probe) {
        case "gateway-ready":
          return gatewayReady(t);
        case "consumer-lag":
          return consumerLag(t, p.max, p.stream !== undefined && p.consumer !== undefined ? { name: p.stream, consumer: p.consumer } : t.stream);
        case "http":
          return serviceHttp(t, p);
        case "error-rate":
          return Promise.resolve(errorRate(opts, p.max, p.windowSeconds));
      }
    }),
  );
}

export const holds = (results: ProbeResult[]) => results.every((r) => r.passed);
export const deviations = (results: ProbeResult[]) =>
  results
    .filter((r) => !r.passed)
    .map((r) => `${r.name}: ${r.observed} (wanted ${r.tolerance})`)
    .join("; ");

/**
 * Polls until every probe holds or `deadlineSeconds` pass (or the signal aborts); returns the last results
 * and the clock time at which they held.
 */
export async function awaitSteadyState(probes: ProbeSpec[], t: ChaosTargets, opts: ChaosOptions, deadlineSeconds: number): Promise<{ results: ProbeResult[]; heldAt?: number }> {
  let results: ProbeResult[] = [];
  const r = await poll(
    async () => {
      results = await checkSteadyState(probes, t, opts);
      return holds(results) ? { results, heldAt: opts.clock() } : undefined;
    },
    { timeoutMs: deadlineSeconds * 1000, intervalMs: 1000, signal: opts.signal, what: "the steady state" },
  );
  return r.done ? r.value : { results };
}
