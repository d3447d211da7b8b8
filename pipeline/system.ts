// The system under test as a run sees it, from the stack's outputs (the program publishes what the driver needs
// of the description): where its entry is, how to drive it, and how to ask it what it holds (its oracle).
// Seeding, the reads during the load, the drain and the final read all go through here, for any system.
import { kubeconfigPath } from "../cluster";
import type { SystemOutputs } from "../components/testbed";
import { inDockerContainer, inKubernetesWorkload, type ExecIn } from "../lib/workload-exec";
import { askOracle, finalReadFrom, pendingIn, type Oracle, type OracleRow } from "../integrity/oracle";
import type { FinalRead } from "../integrity/check";
import { RECORDS_REQUEST, type RequestTemplate } from "../load/plan";

export interface SystemUnderTest {
  name: string;
  entryUrl: string;
  drive: { request: RequestTemplate; healthPath: string; timeoutSeconds: number };
  /** Undefined: the description has no oracle, so integrity is not checked (and the verdict says so). */
  oracle?: Oracle;
  postgres: string;
  containers: Record<string, string | string[]>;
  /** Runs a command inside one of `containers` (a container on Docker, a workload's pod on Kubernetes). */
  exec: ExecIn;
  /**
   * Only records whose key starts with this count: a stack proved before (a kept one, or verified by an earlier
   * `pulumi up`) still holds that run's records, which are neither this run's losses nor its surprises.
   */
  keyPrefix?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** From `cp3 outputs`-style values; a stack made before the outputs carried `system` is the reference workload. */
export function systemFromOutputs(o: Record<string, unknown>): SystemUnderTest {
  const containers = isObject(o.containers) ? (o.containers as Record<string, string | string[]>) : {};
  const postgres = typeof containers.postgres === "string" ? containers.postgres : "";
  const entryUrl = String(o.gatewayUrl ?? "");
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(entryUrl)) throw new Error(`stack output gatewayUrl: got ${JSON.stringify(o.gatewayUrl)}; allowed: http://127.0.0.1:<port>`);
  if (postgres === "") throw new Error(`stack output containers.postgres: got ${JSON.stringify(containers.postgres)}; allowed: the PostgreSQL container's name`);
  const exec = o.platform === "kubernetes" ? inKubernetesWorkload(kubeconfigPath(), String(o.namespace ?? "")) : inDockerContainer;
  const s = isObject(o.system) ? (o.system as unknown as SystemOutputs) : undefined;
  if (!s) return { name: "reference", entryUrl, drive: { request: RECORDS_REQUEST, healthPath: "/readyz", timeoutSeconds: 10 }, postgres, containers, exec };
  return {
    name: s.name,
    entryUrl,
    drive: { request: s.drive.request, healthPath: s.drive.healthPath, timeoutSeconds: s.drive.timeoutSeconds },
    ...(s.oracle ? { oracle: s.oracle } : {}),
    postgres,
    containers,
    exec,
  };
}

export async function ask(s: SystemUnderTest, timeoutMs?: number): Promise<OracleRow[]> {
  if (!s.oracle) return [];
  const rows = await askOracle(s.oracle, s.exec, s.postgres, s.containers, timeoutMs);
  const prefix = s.keyPrefix;
  return prefix === undefined ? rows : rows.filter((r) => r.key.startsWith(prefix));
}

/** The final read after the drain, or undefined when the description has no oracle. */
export async function finalReadOf(s: SystemUnderTest): Promise<FinalRead | undefined> {
  return s.oracle ? finalReadFrom(await ask(s)) : undefined;
}

/** Records held with no effect yet; 0 when there is no oracle (nothing can be waited for). */
export async function pendingOf(s: SystemUnderTest): Promise<number> {
  return s.oracle ? pendingIn(await ask(s, 30_000)) : 0;
}

/** One request from the template, as the engines send it: the key in the idempotency header and in `k`. */
export function requestFor(s: SystemUnderTest, key: string, n: number): { url: string; init: RequestInit } {
  const t = s.drive.request;
  const fill = (text: string) => text.replaceAll("{{key}}", key).replaceAll("{{n}}", String(n)).replaceAll("{{now}}", String(Date.now()));
  const path = fill(t.path);
  const headers: Record<string, string> = { ...t.headers, ...(t.idempotencyHeader ? { [t.idempotencyHeader]: key } : {}) };
  return { url: `${s.entryUrl}${path}${path.includes("?") ? "&" : "?"}k=${encodeURIComponent(key)}`, init: { method: t.method, headers, ...(t.body !== undefined ? { body: fill(t.body) } : {}) } };
}
