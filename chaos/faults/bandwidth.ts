// Egress bandwidth limit with a token bucket (tc tbf) on each target's interface of one network. The kernel
// may lack sch_tbf (as it lacks sch_netem): a failed `tc qdisc add` for that reason skips the fault, saying
// why, instead of passing silently. Measured as TCP throughput from a target to a peer, before and during.
import { inspect, ipOn, pidOf } from "../engine";
import { addTbf, deleteQdisc, interfaceWith, ourQdisc } from "../netns";
import { kib, throughput } from "../tcp-probe";
import type { NetworkRole } from "../types";
import { FaultSkipped, forEach, leftoversOf, num, str, type ActiveFault, type FaultContext } from "./fault";
import { probePeer, short, type Endpoint } from "./peer";

const MISSING_FEATURE = /unknown|not supported|no such file|cannot find/i;

export const bandwidthLimit = (ctx: FaultContext): ActiveFault => {
  const rate = num(ctx.spec, "rateKbit");
  const network = ctx.targets.networks[(str(ctx.spec, "network") ?? "data") as NetworkRole];
  const devs: { name: string; dev: string }[] = [];
  let peer: Endpoint | undefined;
  let baseline: number | undefined;

  const measureFrom = async (seconds: number) => {
    const from = devs[0]!;
    if (!peer) return undefined;
    return throughput(await pidOf(from.name), (await inspect(peer.name)).State.Pid, peer.ip, seconds);
  };

  return {
    async apply() {
      for (const name of ctx.names) {
        const ip = await ipOn(name, network);
        if (ip === undefined) throw new Error(`${name} is not attached to ${network}`);
        devs.push({ name, dev: await interfaceWith(await pidOf(name), ip) });
      }
      peer = await probePeer(ctx.targets, network, ctx.names);
      baseline = await measureFrom(1).catch(() => undefined);
      await forEach(devs, async ({ name, dev }) => {
        const r = await addTbf(await pidOf(name), dev, rate, num(ctx.spec, "burstKbit"), num(ctx.spec, "latencyMs"));
        if (r.ok) return;
        if (MISSING_FEATURE.test(r.reason)) throw new FaultSkipped(`tc qdisc tbf is not available in this kernel (${r.reason})`);
        throw new Error(`tc qdisc add tbf on ${name} ${dev} failed: ${r.reason}`);
      });
    },
    async measure(budgetMs) {
      const seconds = Math.max(1, Math.min(4, Math.floor(budgetMs / 1000) - 2));
      const during = await measureFrom(seconds);
      const stats = await ourQdisc(await pidOf(devs[0]!.name), devs[0]!.dev);
      const sent = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(stats ?? "");
      const tc = sent ? `; tc: ${sent[1]} bytes sent, ${sent[3]} dropped, ${sent[4]} overlimits` : "";
      if (during === undefined || !peer) return `tbf ${rate} kbit/s on ${devs.length} interface(s); no peer to measure throughput${tc}`;
      return `TCP ${short(devs[0]!.name)} -> ${short(peer.name)}: ${kib(during)} under tbf ${rate} kbit/s (${kib((rate * 1000) / 8)}), baseline ${baseline === undefined ? "not measured" : kib(baseline)}${tc}`;
    },
    async rollback() {
      await forEach(devs, async ({ name, dev }) => {
        const pid = await pidOf(name).catch(() => undefined);
        if (pid !== undefined) await deleteQdisc(pid, dev);
      });
      return undefined;
    },
    leftover: () =>
      leftoversOf(devs, async ({ name, dev }) => {
        const pid = await pidOf(name).catch(() => undefined);
        return pid !== undefined && (await ourQdisc(pid, dev)) !== undefined ? `tbf qdisc c3: still on ${name} ${dev}` : undefined;
      }),
  };
};
