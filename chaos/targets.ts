// From the stack's outputs to ChaosTargets, and from a fault's target selector to container or proxy names.
// Faults only ever reach the stack's own containers: a name outside them is refused.
import { inspect } from "./engine";
import { INFRASTRUCTURE_ROLES, type ChaosTargets, type Role, type TargetSelector } from "./types";

const isStr = (v: unknown): v is string => typeof v === "string" && v !== "";
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

/** Builds ChaosTargets from `cp3 outputs`-style values; an error names the output that is missing or malformed. */
export function chaosTargetsFromOutputs(o: Record<string, unknown>): ChaosTargets {
  const fail = (field: string, allowed: string): never => {
    throw new Error(`stack output ${field}: got ${JSON.stringify(field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o)) ?? "nothing"}; allowed: ${allowed}`);
  };
  const obj = (field: string) => {
    const v = o[field];
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : fail(field, "an object");
  };
  const url = (field: string) => (isStr(o[field]) && /^http:\/\/127\.0\.0\.1:\d+$/.test(o[field] as string) ? (o[field] as string) : fail(field, "http://127.0.0.1:<port>"));
  const proxies = obj("chaosProxies");
  const containers = obj("containers");
  const networks = obj("networks");
  const stream = obj("stream");
  const s = (parent: Record<string, unknown>, field: string, key: string) => (isStr(parent[key]) ? (parent[key] as string) : fail(`${field}.${key}`, "a non-empty string"));
  const a = (parent: Record<string, unknown>, field: string, key: string) => (isStrArr(parent[key]) ? (parent[key] as string[]) : fail(`${field}.${key}`, "an array of names"));
  // Stacks made before the outputs carried roles and the description run the reference workload.
  const roles = o.roles === undefined ? undefined : (Object.fromEntries(Object.keys(obj("roles")).map((k) => [k, a(obj("roles"), "roles", k)])) as Record<string, string[]>);
  const drive = (o.system as { drive?: { entry: string; healthPath: string } } | undefined)?.drive;
  const platform = o.platform === "kubernetes" ? "kubernetes" : "docker";
  if (platform === "kubernetes" && !isStr(o.namespace)) fail("namespace", "the stack's namespace (a Kubernetes stack)");
  return {
    platform,
    namespace: platform === "kubernetes" ? (o.namespace as string) : "",
    gatewayUrl: url("gatewayUrl"),
    natsMonitorUrl: url("natsMonitorUrl"),
    toxiproxyUrl: url("toxiproxyUrl"),
    chaosProxies: {
      nats: a(proxies, "chaosProxies", "nats"),
      postgres: s(proxies, "chaosProxies", "postgres"),
      enabled: typeof proxies.enabled === "boolean" ? proxies.enabled : fail("chaosProxies.enabled", "true or false"),
    },
    containers: {
      ...Object.fromEntries(Object.keys(containers).filter((k) => !(INFRASTRUCTURE_ROLES as readonly string[]).includes(k)).map((k) => [k, a(containers, "containers", k)])),
      nats: a(containers, "containers", "nats"),
      postgres: s(containers, "containers", "postgres"),
      toxiproxy: s(containers, "containers", "toxiproxy"),
    },
    roles: roles ?? { gateway: ["gateway"], worker: ["worker"] },
    entry: { service: drive?.entry ?? "gateway", healthPath: drive?.healthPath ?? "/readyz" },
    // On Kubernetes the namespace is the network (NetworkPolicies draw the paths inside it).
    networks: platform === "kubernetes" ? { edge: String(networks.edge ?? ""), data: String(networks.data ?? "") } : { edge: s(networks, "networks", "edge"), data: s(networks, "networks", "data") },
    stream: { name: s(stream, "stream", "name"), consumer: s(stream, "stream", "consumer") },
  };
}

/** Every role this stack has: the infrastructure's, then the system's. */
export const knownRoles = (t: ChaosTargets): string[] => [...INFRASTRUCTURE_ROLES, ...Object.keys(t.roles)];

export function roleContainers(t: ChaosTargets, role: Role): string[] {
  if ((INFRASTRUCTURE_ROLES as readonly string[]).includes(role)) return [t.containers[role]!].flat();
  const services = t.roles[role];
  if (!services) throw new Error(`target role "${role}" is not one of this stack's roles: ${knownRoles(t).join(", ")}`);
  return services.flatMap((s) => [t.containers[s] ?? []].flat());
}

/** Every container of the stack: the infrastructure's, then each service's. */
export const allContainers = (t: ChaosTargets) => [...new Set(Object.values(t.containers).flat())];

/** Container names (or Toxiproxy proxy names, for a link) a selector stands for. */
export async function resolveTarget(t: ChaosTargets, sel: TargetSelector): Promise<string[]> {
  if ("link" in sel) return sel.link === "nats" ? t.chaosProxies.nats : [t.chaosProxies.postgres];
  if ("container" in sel) {
    const all = allContainers(t);
    if (!all.includes(sel.container)) throw new Error(`target container "${sel.container}" is not one of this stack's containers: ${all.join(", ")}`);
    return [sel.container];
  }
  if ("network" in sel) {
    if (t.platform === "kubernetes") throw new Error(`target {"network": "${sel.network}"}: a Kubernetes stack has no Docker networks; name a role`);
    const network = t.networks[sel.network];
    const attached = await Promise.all(allContainers(t).map(async (c) => ((await inspect(c)).NetworkSettings.Networks[network] ? c : undefined)));
    return attached.filter((c): c is string => c !== undefined);
  }
  const names = roleContainers(t, sel.role);
  if (sel.pick === "all") return names;
  const index = sel.pick === "first" ? 0 : sel.pick;
  const name = names[index];
  if (name === undefined) throw new Error(`target ${sel.role}[${index}]: the stack has ${names.length} ${sel.role} container(s)`);
  return [name];
}
