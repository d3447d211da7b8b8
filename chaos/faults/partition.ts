// A two-way partition between two groups of containers: iptables DROP in each side's network namespace, for
// every address the other side has, and on the target side also for Toxiproxy's proxies whose upstream is
// the peer (with chaos.proxy on, the flows reach NATS and PostgreSQL only through them). Rules carry the
// fault's tag, so rollback removes exactly them and verification proves none is left.
import { inspect, namesOn, pidOf } from "../engine";
import { addRule, deleteTagged, taggedRules } from "../netns";
import { connectSeries } from "../tcp-probe";
import * as toxiproxy from "../toxiproxy-api";
import { forEach, leftoversOf, type ActiveFault, type FaultContext } from "./fault";
import { short, type Endpoint } from "./peer";

/** Every IPv4 address a container has, on any network. */
async function addresses(name: string): Promise<string[]> {
  return Object.values((await inspect(name)).NetworkSettings.Networks).map((n) => n.IPAddress).filter((ip) => ip !== "");
}

/** Toxiproxy listeners (toxiproxy's address, listen port) that lead to one of `peers`. */
async function proxiedEndpoints(ctx: FaultContext): Promise<(Endpoint & { proxy: string })[]> {
  const tox = ctx.targets.containers.toxiproxy;
  if (ctx.names.includes(tox) || ctx.peers.includes(tox)) return [];
  const peerNames = new Set<string>();
  for (const p of ctx.peers) for (const network of Object.values(ctx.targets.networks)) for (const n of await namesOn(p, network)) peerNames.add(n);
  const list = Object.values(await toxiproxy.proxies(ctx.targets.toxiproxyUrl)).filter((p) => peerNames.has(toxiproxy.upstreamHost(p)));
  const toxIps = await addresses(tox);
  return list.flatMap((p) => toxIps.map((ip) => ({ name: tox, ip, port: toxiproxy.listenPort(p), proxy: p.name })));
}

export const networkPartition = (ctx: FaultContext): ActiveFault => {
  const probes: (Endpoint & { via: string; baselineMs?: number })[] = [];
  let rules = 0;

  async function cut(from: string, others: string[]): Promise<void> {
    const pid = await pidOf(from);
    for (const ip of others) {
      await addRule(pid, "OUTPUT", ["-d", ip, "-j", "DROP"], ctx.tag);
      await addRule(pid, "INPUT", ["-s", ip, "-j", "DROP"], ctx.tag);
      rules += 2;
    }
  }

  return {
    async apply() {
      const peerIps = (await Promise.all(ctx.peers.map(addresses))).flat();
      const targetIps = (await Promise.all(ctx.names.map(addresses))).flat();
      const proxied = await proxiedEndpoints(ctx);
      // What the measurement will try: the peer's first listening port on each of its addresses, and each proxy.
      const first = ctx.names[0]!;
      for (const p of ctx.peers) {
        const port = Number(Object.keys((await inspect(p)).Config.ExposedPorts ?? {})[0]?.split("/")[0]);
        if (Number.isInteger(port)) for (const ip of await addresses(p)) probes.push({ name: p, ip, port, via: "direct" });
      }
      for (const e of proxied) probes.push({ ...e, via: `proxy ${e.proxy}` });
      const pid = await pidOf(first);
      for (const p of probes) {
        const r = await connectSeries(pid, p.ip, p.port, 1, 1000);
        p.baselineMs = r.ms[0];
      }
      // Only what answered before the fault says anything about the fault (an edge address is no route anyway).
      const reachable = probes.filter((p) => p.baselineMs !== undefined);
      if (reachable.length > 0) probes.splice(0, probes.length, ...reachable);
      await forEach(ctx.names, async (n) => {
        await cut(n, peerIps);
        const tpid = await pidOf(n);
        for (const e of proxied) {
          await addRule(tpid, "OUTPUT", ["-d", e.ip, "-p", "tcp", "--dport", String(e.port), "-j", "DROP"], ctx.tag);
          await addRule(tpid, "INPUT", ["-s", e.ip, "-p", "tcp", "--sport", String(e.port), "-j", "DROP"], ctx.tag);
          rules += 2;
        }
      });
      await forEach(ctx.peers, (n) => cut(n, targetIps));
    },
    async measure(budgetMs) {
      const pid = await pidOf(ctx.names[0]!);
      // Two connects per endpoint, each given up after at most a second, so the whole probe fits the fault.
      const each = Math.max(300, Math.min(1000, Math.floor(budgetMs / Math.max(1, probes.length * 2 + 2))));
      const seen: string[] = [];
      for (const p of probes) {
        const r = await connectSeries(pid, p.ip, p.port, 2, each);
        const why = Object.entries(r.errors).map(([e, n]) => `${e} ${n}`).join(", ");
        const baseline = p.baselineMs === undefined ? "baseline: no connect either" : `baseline ${p.baselineMs} ms`;
        seen.push(`${short(ctx.names[0]!)} -> ${short(p.name)} ${p.ip}:${p.port} (${p.via}): ${r.ok} of 2 connected${why ? ` (${why})` : ""}, ${baseline}`);
      }
      return `${rules} DROP rules in ${ctx.names.length + ctx.peers.length} netns; ${seen.join("; ")}`;
    },
    async rollback() {
      // A container that is not running has no network namespace left, and so no rules.
      await forEach([...ctx.names, ...ctx.peers], async (n) => {
        const pid = await pidOf(n).catch(() => undefined);
        if (pid !== undefined) await deleteTagged(pid, ctx.tag);
      });
      return undefined;
    },
    leftover: () =>
      leftoversOf([...ctx.names, ...ctx.peers], async (n) => {
        const pid = await pidOf(n).catch(() => undefined);
        if (pid === undefined) return undefined;
        const left = await taggedRules(pid, ctx.tag);
        return left.length > 0 ? `${left.length} iptables rules tagged ${ctx.tag} in ${n}` : undefined;
      }),
  };
};
