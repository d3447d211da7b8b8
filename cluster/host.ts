// What the cluster changes on the host outside its folder, and how `down` takes it back: kernel tunables
// (saved before the first process starts, written back after the last one ends), iptables chains (CNI-*,
// KUBE-*) and the jumps into them, the CNI bridge, kubelet's /var/log/containers links and its cgroups.
import * as fs from "node:fs";
import * as path from "node:path";
import { run, succeeds } from "../lib/exec";
import { BRIDGE, files } from "./layout";

/**
 * Every tunable a component may write: the kubelet (unless protectKernelDefaults), kube-proxy (route_localnet
 * for NodePorts on 127.0.0.1; the conntrack ones are switched off by its flags but recorded anyway), and ours
 * (bridge-nf-call-iptables, so bridged pod-to-pod traffic meets kube-proxy's rules).
 */
export const TUNABLES = [
  "vm/overcommit_memory",
  "vm/panic_on_oom",
  "kernel/panic",
  "kernel/panic_on_oops",
  "kernel/keys/root_maxkeys",
  "kernel/keys/root_maxbytes",
  "net/ipv4/conf/all/route_localnet",
  "net/ipv4/ip_forward",
  "net/bridge/bridge-nf-call-iptables",
  "net/bridge/bridge-nf-call-ip6tables",
  "net/netfilter/nf_conntrack_max",
  "net/netfilter/nf_conntrack_tcp_timeout_established",
  "net/netfilter/nf_conntrack_tcp_timeout_close_wait",
];

const sysctlPath = (name: string) => path.join("/proc/sys", name);

export function readTunables(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TUNABLES) {
    try {
      out[name] = fs.readFileSync(sysctlPath(name), "utf8").trim();
    } catch {
      // not on this kernel (no br_netfilter, no conntrack yet)
    }
  }
  return out;
}

export function writeTunable(name: string, value: string): boolean {
  try {
    fs.writeFileSync(sysctlPath(name), value);
    return true;
  } catch {
    return false;
  }
}

/** Writes back what differs from the saved values; returns "name: now -> saved" for each one written. */
export function restoreTunables(saved: Record<string, string>): string[] {
  const now = readTunables();
  const changed: string[] = [];
  for (const [name, value] of Object.entries(saved)) {
    if (now[name] !== undefined && now[name] !== value && writeTunable(name, value)) changed.push(`${name}: ${now[name]} -> ${value}`);
  }
  return changed;
}

const OURS = /^(KUBE-|CNI-)/;

/** Splits one iptables-save rule line into arguments (double quotes group, as iptables-save writes them). */
export function ruleArgs(line: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) args.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  return args;
}

export interface RuleDump {
  table: string;
  chains: string[];
  rules: string[][];
}

/** Parses iptables-save output into each table's chains and rules (as `-A CHAIN ...` argument lists). */
export function parseSave(text: string): RuleDump[] {
  const tables: RuleDump[] = [];
  let cur: RuleDump | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) tables.push((cur = { table: line.slice(1).trim(), chains: [], rules: [] }));
    else if (line.startsWith(":") && cur) cur.chains.push(line.slice(1).split(" ")[0]!);
    else if (line.startsWith("-A ") && cur) cur.rules.push(ruleArgs(line));
  }
  return tables;
}

/** Ours: a chain named KUBE-... or CNI-..., or a rule in another chain that jumps into one. */
export function ourRules(dump: RuleDump[]): { table: string; chain: string; args: string[] }[] {
  const out: { table: string; chain: string; args: string[] }[] = [];
  for (const t of dump) {
    for (const r of t.rules) {
      const chain = r[1]!;
      const j = r.indexOf("-j") >= 0 ? r.indexOf("-j") : r.indexOf("-g");
      const target = j >= 0 ? r[j + 1] : undefined;
      if (!OURS.test(chain) && target && OURS.test(target)) out.push({ table: t.table, chain, args: r.slice(2) });
    }
  }
  return out;
}

export function ourChains(dump: RuleDump[]): { table: string; chain: string }[] {
  return dump.flatMap((t) => t.chains.filter((c) => OURS.test(c)).map((chain) => ({ table: t.table, chain })));
}

async function save(tool: string): Promise<RuleDump[]> {
  const out = await succeeds(`${tool}-save`, []);
  return out ? parseSave(out) : [];
}

/** What of ours is left in iptables and ip6tables, as readable lines (empty: nothing). */
export async function leftoverRules(): Promise<string[]> {
  const lines: string[] = [];
  for (const tool of ["iptables", "ip6tables"]) {
    const dump = await save(tool);
    for (const c of ourChains(dump)) lines.push(`${tool} -t ${c.table} chain ${c.chain}`);
    for (const r of ourRules(dump)) lines.push(`${tool} -t ${r.table} -A ${r.chain} ${r.args.join(" ")}`);
  }
  return lines;
}

/** Removes the jumps into our chains, then flushes and deletes the chains, in both address families. */
export async function removeOurRules(): Promise<void> {
  for (const tool of ["iptables", "ip6tables"]) {
    const dump = await save(tool);
    for (const r of ourRules(dump)) await succeeds(tool, ["-w", "5", "-t", r.table, "-D", r.chain, ...r.args]);
    const chains = ourChains(dump);
    // Flush them all first: a chain can only be deleted once nothing jumps to it.
    for (const c of chains) await succeeds(tool, ["-w", "5", "-t", c.table, "-F", c.chain]);
    for (const c of chains) await succeeds(tool, ["-w", "5", "-t", c.table, "-X", c.chain]);
  }
}

/**
 * Makes the CNI bridge with its gateway address before any pod, so CoreDNS can bind to that address; the bridge
 * plugin then finds it with the very address it would have given it.
 */
export async function ensureBridge(address: string, prefix: number): Promise<void> {
  const step = "cluster up: bridge";
  if (!bridgeExists()) await run("ip", ["link", "add", BRIDGE, "type", "bridge"], { step, log: "cluster-bridge" });
  const addrs = await run("ip", ["-4", "-o", "addr", "show", "dev", BRIDGE], { step, log: "cluster-bridge" });
  if (!addrs.includes(` ${address}/`)) await run("ip", ["addr", "add", `${address}/${prefix}`, "dev", BRIDGE], { step, log: "cluster-bridge" });
  await run("ip", ["link", "set", BRIDGE, "up"], { step, log: "cluster-bridge" });
}

export async function removeBridge(): Promise<void> {
  if (fs.existsSync(`/sys/class/net/${BRIDGE}`)) await run("ip", ["link", "delete", BRIDGE], { step: "cluster down", log: "cluster-down-bridge" });
}

export function bridgeExists(): boolean {
  return fs.existsSync(`/sys/class/net/${BRIDGE}`);
}

/** The kubelet links every container's log into /var/log/containers; ours point into our pod-logs folder. */
export function removeContainerLogLinks(): void {
  const dir = "/var/log/containers";
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    const link = path.join(dir, name);
    try {
      if (fs.readlinkSync(link).startsWith(files.podLogs())) fs.rmSync(link, { force: true });
    } catch {
      // not a link
    }
  }
}

const CGROUP_ROOT = "/sys/fs/cgroup";
const hierarchies = () => (fs.existsSync(path.join(CGROUP_ROOT, "cgroup.controllers")) ? [CGROUP_ROOT] : fs.readdirSync(CGROUP_ROOT).map((h) => path.join(CGROUP_ROOT, h)));

/** Every pid in the kubelet's pod cgroups (kubepods), in any hierarchy. */
export function podProcesses(): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const line of fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n")) if (line) pids.add(Number(line));
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name));
    } catch {
      // gone meanwhile
    }
  };
  for (const h of hierarchies()) if (fs.existsSync(path.join(h, "kubepods"))) walk(path.join(h, "kubepods"));
  return [...pids];
}

/**
 * SIGKILLs what still runs in pod cgroups: containers whose containerd died before it could remove them (their
 * shims are gone, so nothing else would ever stop them). Returns how many there were.
 */
export async function killPodProcesses(): Promise<number> {
  const first = podProcesses();
  for (let round = 0, pids = first; pids.length > 0 && round < 50; round++, pids = podProcesses()) {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return first.length;
}

/** Removes the kubelet's empty cgroup trees (kubepods) in every v1 hierarchy and in the unified one. */
export function removeKubeletCgroups(): string[] {
  const left: string[] = [];
  const rmTree = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const h of hierarchies()) {
    const kubepods = path.join(h, "kubepods");
    if (fs.existsSync(kubepods)) rmTree(kubepods);
  }
  return left;
}

/** Mount points of ours in this (the host's) mount namespace: anything under the cluster folder. */
export function ourMounts(dir: string): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}
