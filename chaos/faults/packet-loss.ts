// Random packet loss on egress: iptables `statistic --mode random` DROP on each target's interface of one
// network (a packet crossing that network is sent by exactly one container, so the loss applies once).
// Measured twice: the kernel's own counters (dropped vs sent), and TCP connects from a target to a peer.
import { ipOn, pidOf } from "../engine";
import { addRule, deleteTagged, interfaceWith, taggedCounters, taggedRules, txPackets } from "../netns";
import { connectSeries } from "../tcp-probe";
import type { NetworkRole } from "../types";
import { forEach, leftoversOf, num, str, type ActiveFault, type FaultContext } from "./fault";
import { probePeer, short } from "./peer";

export const packetLoss = (ctx: FaultContext): ActiveFault => {
  const probability = num(ctx.spec, "probability");
  const network = ctx.targets.networks[(str(ctx.spec, "network") ?? "data") as NetworkRole];
  const devs: { name: string; pid: number; dev: string }[] = [];

  async function counters(): Promise<{ dropped: number; sent: number }> {
    let dropped = 0;
    let sent = 0;
    for (const d of devs) {
      dropped += (await taggedCounters(d.pid, ctx.tag)).packets;
      sent += await txPackets(d.pid, d.dev);
    }
    return { dropped, sent };
  }

  return {
    async apply() {
      await forEach(ctx.names, async (name) => {
        const ip = await ipOn(name, network);
        if (ip === undefined) throw new Error(`${name} is not attached to ${network}`);
        const pid = await pidOf(name);
        const dev = await interfaceWith(pid, ip);
        devs.push({ name, pid, dev });
        await addRule(pid, "OUTPUT", ["-o", dev, "-m", "statistic", "--mode", "random", "--probability", String(probability), "-j", "DROP"], ctx.tag);
      });
      // Back in target order, so the probe always starts from the first target.
      devs.sort((a, b) => ctx.names.indexOf(a.name) - ctx.names.indexOf(b.name));
    },
    async measure(budgetMs) {
      const c0 = await counters();
      const from = devs[0]!;
      const peer = await probePeer(ctx.targets, network, [from.name]);
      // Connects given up after 500 ms: a lost SYN or SYN-ACK is only retransmitted after 1 s.
      const tries = Math.max(5, Math.min(40, Math.floor((budgetMs - 2000) / 500)));
      const probe = peer ? await connectSeries(from.pid, peer.ip, peer.port, tries, 500) : undefined;
      const c1 = await counters();
      const dropped = c1.dropped - c0.dropped;
      const sent = c1.sent - c0.sent;
      const share = dropped + sent === 0 ? 0 : (100 * dropped) / (dropped + sent);
      const kernel = `kernel dropped ${share.toFixed(1)} % of ${dropped + sent} egress packets on ${devs.length} interface(s)`;
      const tcp = probe && peer ? `; TCP connects ${short(from.name)} -> ${short(peer.name)}:${peer.port}: ${probe.failed} of ${tries} not answered within 500 ms` : "";
      return `${kernel}${tcp}`;
    },
    async rollback() {
      await forEach(ctx.names, async (n) => {
        const pid = await pidOf(n).catch(() => undefined);
        if (pid !== undefined) await deleteTagged(pid, ctx.tag);
      });
      return undefined;
    },
    leftover: () =>
      leftoversOf(ctx.names, async (n) => {
        const pid = await pidOf(n).catch(() => undefined);
        const left = pid === undefined ? [] : await taggedRules(pid, ctx.tag);
        return left.length > 0 ? `${left.length} iptables rules tagged ${ctx.tag} in ${n}` : undefined;
      }),
  };
};
