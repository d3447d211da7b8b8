// Finding something to probe: a container of the stack on a network with a TCP port it listens on.
import { exposedTcpPorts, inspect } from "../engine";
import { allContainers } from "../targets";
import type { ChaosTargets } from "../types";

export interface Endpoint {
  name: string;
  ip: string;
  port: number;
}

/** The first container on `network` (other than `exclude`) that exposes a TCP port, preferring `prefer`. */
export async function probePeer(t: ChaosTargets, network: string, exclude: string[], prefer: string[] = []): Promise<Endpoint | undefined> {
  const candidates = [...prefer, ...allContainers(t)].filter((c, i, all) => !exclude.includes(c) && all.indexOf(c) === i);
  for (const name of candidates) {
    const i = await inspect(name).catch(() => undefined);
    const ip = i?.State.Running ? i.NetworkSettings.Networks[network]?.IPAddress : undefined;
    const port = (await exposedTcpPorts(name).catch(() => []))[0];
    if (ip && port !== undefined) return { name, ip, port };
  }
  return undefined;
}

export const short = (name: string) => name.replace(/^cp3-.*-(nats|postgres|toxiproxy|gateway|worker)/, "$1");
