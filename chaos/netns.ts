// iptables and tc inside a container's network namespace. Every rule we add carries a comment tag
// (cp3-chaos-...), so rollback deletes exactly our rules and verification can prove none is left; the qdisc
// we add has the handle c3:, for the same reason.
import { inNetns, inNetnsOk } from "./host";

export const TAG_PREFIX = "cp3-chaos-";
/** tc's handle for our root qdisc (0xc3), so only a qdisc we added is ever removed. */
export const QDISC_HANDLE = "c3:";

/** Appends `rule` (everything after the chain) to `chain` of the filter table, tagged. */
export async function addRule(pid: number, chain: "INPUT" | "OUTPUT", rule: string[], tag: string): Promise<void> {
  // -I puts our rule first, ahead of anything that would accept the packet.
  await inNetnsOk(pid, "iptables", ["-w", "5", "-I", chain, ...rule, "-m", "comment", "--comment", tag]);
}

/** Our rules (lines of `iptables -S`) carrying `tag` (or any cp3 tag when `tag` is the prefix). */
export async function taggedRules(pid: number, tag: string): Promise<string[]> {
  const out = await inNetnsOk(pid, "iptables", ["-w", "5", "-S"]);
  return out.split("\n").filter((l) => l.startsWith("-A ") && l.split(/\s+/).some((w, i, all) => all[i - 1] === "--comment" && w.startsWith(tag)));
}

/** Deletes every rule carrying `tag`; returns how many. */
export async function deleteTagged(pid: number, tag: string): Promise<number> {
  const rules = await taggedRules(pid, tag);
  for (const line of rules) {
    // Our rules have no quoted arguments (the tag has no spaces), so the -S line splits back into arguments.
    const args = line.split(/\s+/);
    await inNetnsOk(pid, "iptables", ["-w", "5", "-D", ...args.slice(1)]);
  }
  return rules.length;
}

/** Packets and bytes our tagged rules matched so far (`iptables -L -v -x`). */
export async function taggedCounters(pid: number, tag: string): Promise<{ packets: number; bytes: number }> {
  const out = await inNetnsOk(pid, "iptables", ["-w", "5", "-L", "-v", "-x", "-n"]);
  let packets = 0;
  let bytes = 0;
  for (const line of out.split("\n")) {
    if (!line.includes(`/* ${tag}`)) continue;
    const [p, b] = line.trim().split(/\s+/);
    packets += Number(p);
    bytes += Number(b);
  }
  return { packets, bytes };
}

/** The interface holding `ip` in the namespace (eth0, eth1...). */
export async function interfaceWith(pid: number, ip: string): Promise<string> {
  const out = await inNetnsOk(pid, "ip", ["-o", "-4", "addr", "show"]);
  const line = out.split("\n").find((l) => l.includes(` ${ip}/`));
  const dev = line?.split(/\s+/)[1];
  if (!dev) throw new Error(`no interface with address ${ip} in the netns of pid ${pid}`);
  return dev;
}

/** Transmitted packets of an interface (/proc/net/dev reads the namespace of the reader). */
export async function txPackets(pid: number, dev: string): Promise<number> {
  const out = await inNetnsOk(pid, "cat", ["/proc/net/dev"]);
  const line = out.split("\n").find((l) => l.trim().startsWith(`${dev}:`));
  if (!line) throw new Error(`no ${dev} in /proc/net/dev of pid ${pid}`);
  // receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes packets ...
  return Number(line.split(":")[1]!.trim().split(/\s+/)[9]);
}

/** Our root qdisc on `dev`, as `tc -s qdisc show` prints it, or undefined. */
export async function ourQdisc(pid: number, dev: string): Promise<string | undefined> {
  const out = await inNetnsOk(pid, "tc", ["-s", "qdisc", "show", "dev", dev]);
  const blocks = out.split(/\n(?=qdisc )/);
  return blocks.find((b) => b.startsWith(`qdisc tbf ${QDISC_HANDLE} root`));
}

export async function addTbf(pid: number, dev: string, rateKbit: number, burstKbit: number, latencyMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  const r = await inNetns(pid, "tc", ["qdisc", "add", "dev", dev, "root", "handle", QDISC_HANDLE, "tbf", "rate", `${rateKbit}kbit`, "burst", `${burstKbit}kbit`, "latency", `${latencyMs}ms`]);
  return r.code === 0 ? { ok: true } : { ok: false, reason: (r.stderr || r.stdout).trim() };
}

export async function deleteQdisc(pid: number, dev: string): Promise<void> {
  if ((await ourQdisc(pid, dev)) !== undefined) await inNetnsOk(pid, "tc", ["qdisc", "del", "dev", dev, "root", "handle", QDISC_HANDLE]);
}
