// `cp3 cluster up|down|status`: the single-node Kubernetes cluster (cluster/). Parses and calls, nothing more.
import type { Parsed, VerbSpec } from "../args";
import { UsageError } from "../args";
import { clusterDown, clusterStatus, clusterUp, type ClusterStatus } from "../../cluster";
import { EXIT } from "../../lib/exit-codes";
import { ensureToolchain } from "./setup";

export const clusterSpec: VerbSpec = {
  name: "cluster",
  summary:
    "A real single-node Kubernetes on this machine, everything on 127.0.0.1: `up` (builds it from Go modules on first use, then starts containerd, etcd, the control plane, kubelet and kube-proxy and waits for the node to be Ready), `down` (stops it all and leaves no process, mount or iptables rule), `status`.",
  flags: {
    json: { type: "boolean", description: "status (and up/down) as JSON" },
  },
  passThrough: true,
};

const ACTIONS = ["up", "down", "status"];

function printStatus(s: ClusterStatus, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(s, null, 2) + "\n");
    return;
  }
  for (const p of s.processes) process.stdout.write(`${p.running ? "up  " : "down"}  ${p.name.padEnd(24)} pid ${p.pid}  log ${p.log}\n`);
  if (s.processes.length === 0) process.stdout.write("no cluster started\n");
  process.stdout.write(`node Ready: ${s.nodeReady ? "yes" : `no${s.nodeMessage ? ` (${s.nodeMessage})` : ""}`}\nkubeconfig: ${s.kubeconfig}\n`);
  if (s.kubectl) process.stdout.write(`kubectl: ${s.kubectl} --kubeconfig ${s.kubeconfig}\n`);
}

export async function runCluster(parsed: Parsed): Promise<number> {
  const action = parsed.rest[0];
  if (!action || !ACTIONS.includes(action) || parsed.rest.length > 1) {
    throw new UsageError(`cluster: expected one of ${ACTIONS.join(", ")}, got "${parsed.rest.join(" ")}"`);
  }
  const json = parsed.values.json === true;
  if (action === "status") {
    const s = await clusterStatus();
    printStatus(s, json);
    return s.up ? EXIT.ok : EXIT.verdict;
  }
  if (action === "up") {
    // The Docker engine and the Debian root come from the ordinary set-up; the cluster's own toolchain is built here.
    await ensureToolchain();
    printStatus(await clusterUp(), json);
    return EXIT.ok;
  }
  const report = await clusterDown();
  if (json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else for (const line of [...report.stopped.map((s) => `stopped ${s}`), ...report.restored.map((r) => `restored ${r}`), ...report.left.map((l) => `LEFT ${l}`)]) process.stdout.write(`${line}\n`);
  return report.left.length === 0 ? EXIT.ok : EXIT.usage;
}
