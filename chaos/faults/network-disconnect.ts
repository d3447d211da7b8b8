// Network partition by detaching a container from a network through the engine; rollback attaches it again
// with the aliases it had (minus the engine's own short-ID alias, which the engine adds back itself).
import * as docker from "../../lib/docker-api";
import { inspect, pidOf } from "../engine";
import { connectSeries } from "../tcp-probe";
import type { NetworkRole } from "../types";
import { forEach, leftoversOf, str, type ActiveFault, type FaultContext } from "./fault";
import { probePeer, short, type Endpoint } from "./peer";

export const networkDisconnect = (ctx: FaultContext): ActiveFault => {
  const network = ctx.targets.networks[(str(ctx.spec, "network") ?? "data") as NetworkRole];
  const aliases: Record<string, string[]> = {};
  let peer: Endpoint | undefined;

  async function attached(name: string) {
    return (await inspect(name)).NetworkSettings.Networks[network];
  }

  return {
    async apply() {
      peer = await probePeer(ctx.targets, network, ctx.names);
      await forEach(ctx.names, async (name) => {
        const i = await inspect(name);
        const endpoint = i.NetworkSettings.Networks[network];
        if (!endpoint) throw new Error(`${name} is not attached to ${network}`);
        aliases[name] = (endpoint.Aliases ?? []).filter((a) => !i.Id.startsWith(a));
        await docker.disconnectNetwork(network, name);
      });
    },
    async measure(budgetMs) {
      const seen = await Promise.all(
        ctx.names.map(async (name) => {
          const still = (await attached(name)) !== undefined;
          if (!peer) return `${short(name)}: ${still ? "still attached" : "detached"} from ${network} (no peer to probe)`;
          const tries = Math.max(1, Math.min(3, Math.floor(budgetMs / 1500)));
          const r = await connectSeries(await pidOf(name), peer.ip, peer.port, tries, 1000);
          const why = Object.entries(r.errors).map(([e, n]) => `${e} ${n}`).join(", ");
          return `${short(name)}: ${still ? "still attached" : "detached"} from ${network}; TCP to ${short(peer.name)} ${peer.ip}:${peer.port}: ${r.ok} of ${tries} connected${why ? ` (${why})` : ""}`;
        }),
      );
      return seen.join("; ");
    },
    async rollback() {
      await forEach(ctx.names, async (name) => {
        const had = aliases[name];
        // Only what apply detached is attached again (had is set just before the disconnect).
        if (had === undefined || (await attached(name)) !== undefined) return;
        await docker.connectNetwork(network, name, had);
      });
      return undefined;
    },
    leftover: () =>
      leftoversOf(ctx.names, async (name) => {
        const endpoint = await attached(name);
        if (!endpoint) return `${name} is not attached to ${network}`;
        const missing = (aliases[name] ?? []).filter((a) => !(endpoint.Aliases ?? []).includes(a));
        return missing.length > 0 ? `${name} lost its aliases ${missing.join(",")} on ${network}` : undefined;
      }),
  };
};
