// The steady-state hypothesis: probes with tolerances, checked before the method (it runs only if all hold)
// and polled after it until they hold again or a deadline passes.
import type { ProbeResult } from "./results";
import { getJson } from "../lib/http-probe";
import { poll } from "../lib/poll";
import { currentHostUrl } from "./engine";
import type { ChaosOptions, ChaosTargets, ProbeSpec } from "./types";

interface Jsz {
  account_details?: { stream_detail?: { name: string; consumer_detail?: { name: string; num_pending: number; num_ack_pending: number }[] }[] }[];
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function gatewayReady(t: ChaosTargets): Promise<ProbeResult> {
  const tolerance = "HTTP 200";
  try {
    const entry = [t.containers[t.entry.service] ?? []].flat()[0];
    const where = entry ? await currentHostUrl(t.gatewayUrl, entry) : { url: t.gatewayUrl, moved: false };
    const r = await getJson(`${where.url}${t.entry.healthPath}`, 3000);
    const moved = where.moved ? ` at ${where.url} (the host port moved from ${new URL(t.gatewayUrl).port} when it restarted)` : "";
    return { name: "gateway-ready", observed: `HTTP ${r.status}${moved}`, tolerance, passed: r.status === 200 };
  } catch (err) {
    return { name: "gateway-ready", observed: `no answer (${message(err)})`, tolerance, passed: false };
  }
}

async function consumerLag(t: ChaosTargets, max: number): Promise<ProbeResult> {
  const name = "consumer-lag";
  const tolerance = `num_pending + num_ack_pending <= ${max}`;
  try {
    const r = await getJson<Jsz>(`${t.natsMonitorUrl}/jsz?accounts=true&streams=true&consumers=true`, 3000);
    if (r.status !== 200 || !r.body) return { name, observed: `NATS monitor answered HTTP ${r.status}`, tolerance, passed: false };
    const stream = (r.body.account_details ?? []).flatMap((a) => a.stream_detail ?? []).find((s) => s.name === t.stream.name);
    const consumer = stream?.consumer_detail?.find((c) => c.name === t.stream.consumer);
    if (!consumer) return { name, observed: `consumer ${t.stream.name}/${t.stream.consumer} not found`, tolerance, passed: false };
    const lag = consumer.num_pending + consumer.num_ack_pending;
    return { name, observed: `lag ${lag} (pending ${consumer.num_pending}, ack pending ${consumer.num_ack_pending})`, tolerance, passed: lag <= max };
  } catch (err) {
    return { name, observed: `no answer from the NATS monitor (${message(err)})`, tolerance, passed: false };
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
          return consumerLag(t, p.max);
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
