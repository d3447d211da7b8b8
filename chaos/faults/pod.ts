// Faults of a Kubernetes testbed, on the workloads (Deployments, StatefulSets) the outputs name per role:
// through the API (pod delete, eviction, scale to zero) and in a pod's network namespace from the host
// (a partition: iptables DROP, tagged, as on Docker). Rollback brings every workload back to the replicas
// it had, Ready; verification says what is not.
import * as kube from "../kube";
import { addRule, deleteTagged, taggedRules } from "../netns";
import { connectSeries } from "../tcp-probe";
import * as toxiproxy from "../toxiproxy-api";
import { sleep } from "../sleep";
import { FaultSkipped, forEach, leftoversOf, num, type ActiveFault, type FaultContext } from "./fault";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function namespaceOf(ctx: FaultContext): string {
  if (ctx.targets.platform !== "kubernetes") throw new FaultSkipped(`${ctx.spec.kind} acts on Kubernetes pods; this stack runs on ${ctx.targets.platform} (use container-kill, container-stop or network-partition)`);
  return ctx.targets.namespace;
}

/** The pods a fault hits in each workload: the first (by name) unless the selector picked all. */
async function chosenPods(ns: string, workload: string, all: boolean): Promise<kube.PodState[]> {
  const pods = (await kube.podsOf(ns, workload)).filter((p) => !p.deleting);
  if (pods.length === 0) throw new Error(`workload ${workload} has no pod to fault`);
  return all ? pods : [pods[0]!];
}

const pickAll = (ctx: FaultContext) => "role" in ctx.spec.target && ctx.spec.target.pick === "all";

/** Waits until the workload has its replicas Ready again, none of them one of `gone`; ms, or undefined. */
async function readyAgain(ns: string, workload: string, gone: Set<string>, budgetMs: number, signal: AbortSignal): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < budgetMs && !signal.aborted) {
    const [w, pods] = await Promise.all([kube.replicasOf(ns, workload), kube.podsOf(ns, workload)]);
    const fresh = pods.filter((p) => p.ready && !p.deleting && !gone.has(p.uid));
    // Both the pods and the workload's status: the status lags the pods, and it is what a later check reads.
    if (fresh.length >= w.desired && w.ready >= w.desired && !pods.some((p) => gone.has(p.uid))) return Date.now() - t0;
    await sleep(250, signal);
  }
  return undefined;
}

/** The workload runs its desired replicas, all Ready; else what is off. */
async function notReady(ns: string, workload: string): Promise<string | undefined> {
  const w = await kube.replicasOf(ns, workload);
  return w.ready >= w.desired && w.desired > 0 ? undefined : `${workload}: ${w.ready} of ${w.desired} replicas Ready`;
}

async function settle(ns: string, workloads: string[], signal: AbortSignal): Promise<string | undefined> {
  const notes: string[] = [];
  await forEach(workloads, async (w) => {
    const took = await readyAgain(ns, w, new Set(), 90_000, signal);
    if (took === undefined) throw new Error(`${w} is not Ready 90 s after the fault (${(await notReady(ns, w)) ?? "?"})`);
    if (took > 1000) notes.push(`${w} Ready after ${seconds(took)}`);
  });
  return notes.length === 0 ? undefined : notes.join(", ");
}

/** Pod removed through the API, by delete (grace seconds, 0 = SIGKILL) or by an eviction (which honours disruption budgets). */
const removal =
  (how: "delete" | "evict") =>
  (ctx: FaultContext): ActiveFault => {
    const removed = new Map<string, { pods: kube.PodState[]; at: number }>();
    return {
      async apply() {
        const ns = namespaceOf(ctx);
        await forEach(ctx.names, async (w) => {
          const pods = await chosenPods(ns, w, pickAll(ctx));
          const at = Date.now();
          for (const p of pods) {
            if (how === "delete") await kube.deletePod(ns, p.name, num(ctx.spec, "graceSeconds"));
            else await kube.evictPod(ns, p.name);
          }
          removed.set(w, { pods, at });
        });
      },
      async measure(budgetMs) {
        const ns = ctx.targets.namespace;
        const seen = await Promise.all(
          [...removed].map(async ([w, r]) => {
            const took = await readyAgain(ns, w, new Set(r.pods.map((p) => p.uid)), budgetMs - (Date.now() - r.at), ctx.signal);
            const names = r.pods.map((p) => p.name).join(", ");
            return `${w}: ${how === "delete" ? "deleted" : "evicted"} ${names}; ${took === undefined ? `not replaced and Ready within ${seconds(budgetMs)}` : `replaced, all replicas Ready after ${seconds(Date.now() - r.at)}`}`;
          }),
        );
        return seen.join("; ");
      },
      rollback: () => (ctx.targets.platform === "kubernetes" ? settle(ctx.targets.namespace, ctx.names, ctx.signal) : Promise.resolve(undefined)),
      leftover: () => (ctx.targets.platform === "kubernetes" ? leftoversOf(ctx.names, (w) => notReady(ctx.targets.namespace, w)) : Promise.resolve(undefined)),
    };
  };

export const podDelete = removal("delete");
export const podEvict = removal("evict");

/** The workload scaled to zero for the duration (every pod gone), then back to the replicas it had. */
export const scaleToZero = (ctx: FaultContext): ActiveFault => {
  const before = new Map<string, number>();
  return {
    async apply() {
      const ns = namespaceOf(ctx);
      await forEach(ctx.names, async (w) => {
        before.set(w, (await kube.replicasOf(ns, w)).desired);
        await kube.scale(ns, w, 0);
      });
    },
    async measure(budgetMs) {
      const ns = ctx.targets.namespace;
      const t0 = Date.now();
      const seen = await Promise.all(
        ctx.names.map(async (w) => {
          while (Date.now() - t0 < budgetMs && !ctx.signal.aborted) {
            if ((await kube.podsOf(ns, w)).length === 0) return `${w}: ${before.get(w)} -> 0 replicas, no pod left after ${seconds(Date.now() - t0)}`;
            await sleep(250, ctx.signal);
          }
          return `${w}: scaled to 0, ${(await kube.podsOf(ns, w)).length} pod(s) still terminating after ${seconds(budgetMs)}`;
        }),
      );
      return seen.join("; ");
    },
    async rollback() {
      if (ctx.targets.platform !== "kubernetes") return undefined;
      const ns = ctx.targets.namespace;
      await forEach([...before], ([w, n]) => kube.scale(ns, w, n));
      return settle(ns, [...before.keys()], ctx.signal);
    },
    leftover: () =>
      leftoversOf([...before], async ([w, n]) => {
        const now = await kube.replicasOf(ctx.targets.namespace, w);
        if (now.desired !== n) return `${w} has ${now.desired} replicas, had ${n}`;
        return notReady(ctx.targets.namespace, w);
      }),
  };
};

/**
 * Both ways between the target's pods and the peer's: DROP in each pod's network namespace for the other
 * side's pod addresses and Service ClusterIPs (a pod sends to the ClusterIP; the host's kube-proxy rewrites it
 * after the packet leaves the pod's namespace), and on the target side for Toxiproxy's listeners whose upstream
 * is the peer (the flows reach NATS and PostgreSQL through them).
 */
export const podPartition = (ctx: FaultContext): ActiveFault => {
  const touched: { pod: string; pid: number }[] = [];
  const probes: { to: string; ip: string; port: number; baselineMs?: number }[] = [];
  let rules = 0;
  let firstPid: number | undefined;

  async function sides(workloads: string[]): Promise<{ pods: kube.PodState[]; ips: string[]; services: kube.ServiceAddress[] }> {
    const ns = ctx.targets.namespace;
    const pods = (await Promise.all(workloads.map((w) => kube.podsOf(ns, w)))).flat().filter((p) => !p.deleting && p.ip !== "");
    const services = (await Promise.all(workloads.map((w) => kube.servicesOf(ns, w)))).flat();
    return { pods, ips: [...pods.map((p) => p.ip), ...services.map((s) => s.clusterIp)], services };
  }

  async function cut(pod: kube.PodState, ips: string[], extra: { ip: string; port: number }[]): Promise<void> {
    const pid = await kube.podPid(ctx.targets.namespace, pod.name);
    touched.push({ pod: pod.name, pid });
    for (const ip of ips) {
      await addRule(pid, "OUTPUT", ["-d", ip, "-j", "DROP"], ctx.tag);
      await addRule(pid, "INPUT", ["-s", ip, "-j", "DROP"], ctx.tag);
      rules += 2;
    }
    for (const e of extra) {
      await addRule(pid, "OUTPUT", ["-d", e.ip, "-p", "tcp", "--dport", String(e.port), "-j", "DROP"], ctx.tag);
      rules += 1;
    }
  }

  return {
    async apply() {
      namespaceOf(ctx);
      const target = await sides(ctx.names);
      const peer = await sides(ctx.peers);
      if (target.pods.length === 0 || peer.pods.length === 0) throw new Error(`partition needs running pods on both sides: ${target.pods.length} target, ${peer.pods.length} peer`);
      // Toxiproxy's listeners that lead to the peer: the upstream is one of the peer's Service addresses.
      const peerUpstreams = new Set(peer.services.flatMap((s) => s.ports.map((p) => `${s.clusterIp}:${p}`)));
      const toxServices = ctx.names.includes(ctx.targets.containers.toxiproxy) ? [] : await kube.servicesOf(ctx.targets.namespace, ctx.targets.containers.toxiproxy);
      const proxied = Object.values(await toxiproxy.proxies(ctx.targets.toxiproxyUrl))
        .filter((p) => peerUpstreams.has(p.upstream))
        .flatMap((p) => toxServices.map((s) => ({ ip: s.clusterIp, port: toxiproxy.listenPort(p) })));
      for (const s of peer.services) for (const port of s.ports) probes.push({ to: `service ${s.name}`, ip: s.clusterIp, port });
      for (const e of proxied) probes.push({ to: "toxiproxy", ip: e.ip, port: e.port });
      firstPid = await kube.podPid(ctx.targets.namespace, target.pods[0]!.name);
      for (const p of probes) p.baselineMs = (await connectSeries(firstPid, p.ip, p.port, 1, 1000)).ms[0];
      for (const pod of target.pods) await cut(pod, peer.ips, proxied);
      for (const pod of peer.pods) await cut(pod, target.ips, []);
    },
    async measure(budgetMs) {
      if (firstPid === undefined) return "not applied";
      const each = Math.max(300, Math.min(1000, Math.floor(budgetMs / Math.max(1, probes.length * 2 + 2))));
      const seen: string[] = [];
      for (const p of probes.filter((x) => x.baselineMs !== undefined)) {
        const r = await connectSeries(firstPid, p.ip, p.port, 2, each);
        seen.push(`-> ${p.to} ${p.ip}:${p.port}: ${r.ok} of 2 connected (baseline ${p.baselineMs} ms)`);
      }
      return `${rules} DROP rules in ${touched.length} pod netns; ${seen.join("; ") || "no endpoint answered before the fault"}`;
    },
    async rollback() {
      // A pod that is gone took its namespace, and our rules, with it.
      await forEach(touched, async (t) => {
        if (await kube.pidAlive(t.pid)) await deleteTagged(t.pid, ctx.tag);
      });
      return undefined;
    },
    leftover: () =>
      leftoversOf(touched, async (t) => {
        if (!(await kube.pidAlive(t.pid))) return undefined;
        const left = await taggedRules(t.pid, ctx.tag);
        return left.length > 0 ? `${left.length} iptables rules tagged ${ctx.tag} in pod ${t.pod}` : undefined;
      }),
  };
};

