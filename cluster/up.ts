// `cluster up`: the node's processes started in order, each waited for before the next, everything on
// 127.0.0.1. containerd runs in a mount namespace of its own (bind mounts over /run/containerd and
// /var/lib/cni, so Docker's containerd is left alone); the kubelet joins that namespace, so its volume mounts
// and the pods' network namespaces live and die there and the host's mount table stays untouched.
import * as fs from "node:fs";
import { succeeds } from "../lib/exec";
import { kubeFrom } from "../lib/kube-api";
import { poll } from "../lib/poll";
import { say, StepError } from "../lib/progress";
import { ensureEngine } from "../toolchain/engine";
import { kubeVersions, type KubernetesToolchain } from "../toolchain/kubernetes/build";
import { writeNodeConfig } from "./config";
import { ensureBridge, readTunables, writeTunable } from "./host";
import { ensurePauseImage, importImagesWith } from "./images";
import { DNS_IP, DNS_PREFIX, NODE_NAME, PORTS, POD_CIDR, SERVICE_CIDR, clusterDir, files } from "./layout";
import { ensurePki, writeKubeconfig } from "./pki";
import { apiSend, getStatus } from "./probe";
import { procStat } from "../lib/proc-stat";
import { isAlive, logTail, readState, startBackground, writeState, type ClusterState, type ProcessRecord } from "./processes";

export interface ClusterUpOptions {
  /** A process whose end makes the cluster an orphan for `cp3 sweep` (tests pass their own pid). */
  ownerPid?: number;
  /** How long the whole start may take once built (default 240 s). */
  timeoutMs?: number;
}

const API = `https://127.0.0.1:${PORTS.apiserver}`;

/** Directories outside the cluster folder that the node needs; those made here are removed by `down`. */
const HOST_DIRS = ["/run/containerd", "/var/lib/cni", "/var/log/containers"];

function commands(t: KubernetesToolchain, containerdPid?: number): Record<string, string[]> {
  const pki = files.pki;
  return {
    containerd: [
      "unshare", "--mount", "--propagation", "private", "--",
      "sh", "-c", 'mount --bind "$1" /run/containerd && mount --bind "$2" /var/lib/cni && exec "$3" --config "$4"',
      "sh", files.runContainerd(), files.varLibCni(), t.containerd, files.containerdConfig(),
    ],
    etcd: [
      t.etcd, "--name=cp3", `--data-dir=${files.etcdData()}`,
      `--listen-client-urls=http://127.0.0.1:${PORTS.etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
      `--initial-cluster=cp3=http://127.0.0.1:${PORTS.etcdPeer}`, "--initial-cluster-state=new",
      // A test cluster's data, rebuilt on every up: no fsync (as envtest does).
      "--unsafe-no-fsync", "--log-level=warn",
    ],
    "kube-apiserver": [
      t.kube["kube-apiserver"], `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
      "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${PORTS.apiserver}`,
      `--tls-cert-file=${pki("apiserver.crt")}`, `--tls-private-key-file=${pki("apiserver.key")}`, `--client-ca-file=${pki("ca.crt")}`,
      `--kubelet-client-certificate=${pki("apiserver-kubelet-client.crt")}`, `--kubelet-client-key=${pki("apiserver-kubelet-client.key")}`,
      `--kubelet-certificate-authority=${pki("ca.crt")}`,
      // The node is "localhost": logs, exec and port-forward go to the kubelet on 127.0.0.1, never to the node's InternalIP.
      "--kubelet-preferred-address-types=Hostname",
      `--service-account-key-file=${pki("sa.pub")}`, `--service-account-signing-key-file=${pki("sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction,PodSecurity",
      `--service-cluster-ip-range=${SERVICE_CIDR}`, "--service-node-port-range=30000-32767",
      // The `kubernetes` Service's endpoint would be 127.0.0.1, which Endpoints validation refuses; pods do not reach the API.
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true", "--profiling=false",
    ],
    "kube-controller-manager": [
      t.kube["kube-controller-manager"], `--kubeconfig=${files.kubeconfig("kube-controller-manager")}`,
      "--bind-address=127.0.0.1", `--secure-port=${PORTS.kcm}`, "--leader-elect=false",
      `--service-account-private-key-file=${pki("sa.key")}`, `--root-ca-file=${pki("ca.crt")}`, "--use-service-account-credentials=true",
      `--cluster-signing-cert-file=${pki("ca.crt")}`, `--cluster-signing-key-file=${pki("ca.key")}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`, "--profiling=false",
    ],
    "kube-scheduler": [
      t.kube["kube-scheduler"], `--kubeconfig=${files.kubeconfig("kube-scheduler")}`,
      "--bind-address=127.0.0.1", `--secure-port=${PORTS.scheduler}`, "--leader-elect=false", "--profiling=false",
    ],
    // Joins containerd's mount namespace (see the top of the file).
    kubelet: [
      "nsenter", "-t", String(containerdPid ?? 0), "-m", "--",
      t.kube.kubelet, `--config=${files.kubeletConfig()}`, `--kubeconfig=${files.kubeconfig("kubelet")}`,
      `--hostname-override=${NODE_NAME}`, `--root-dir=${files.kubeletRoot()}`,
    ],
    coredns: [t.coredns, "-conf", files.corefile()],
    "kube-proxy": [
      t.kube["kube-proxy"], `--kubeconfig=${files.kubeconfig("kube-proxy")}`, `--hostname-override=${NODE_NAME}`,
      "--proxy-mode=iptables", `--cluster-cidr=${POD_CIDR}`,
      // NodePorts answer on 127.0.0.1 only (kube-proxy sets route_localnet for it; down restores it).
      "--nodeport-addresses=127.0.0.1/32",
      `--healthz-bind-address=127.0.0.1:${PORTS.proxyHealthz}`, `--metrics-bind-address=127.0.0.1:${PORTS.proxyMetrics}`,
      // Leave the host's conntrack table size and timeouts as they are.
      "--conntrack-max-per-core=0", "--conntrack-tcp-timeout-established=0", "--conntrack-tcp-timeout-close-wait=0",
    ],
  };
}

/** Waits for `probe`, failing early (with the log's tail) when the process ends. */
async function waitFor(p: ProcessRecord, what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  const r = await poll(
    async (note) => {
      if (!isAlive(p)) throw new StepError(`cluster up: ${p.name}`, `${p.name} exited before ${what}:\n${logTail(p.log)}`, p.command.join(" "), p.log);
      const ok = await probe().catch((err: unknown) => {
        note(String(err));
        return false;
      });
      return ok ? true : undefined;
    },
    { timeoutMs, intervalMs: 250, what },
  );
  if (!r.done) throw new StepError(`cluster up: ${p.name}`, `timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${r.why === "timeout" ? (r.last ?? "no answer") : r.why}):\n${logTail(p.log)}`, p.command.join(" "), p.log);
  say(`cluster: ${p.name} ready (${what}, ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}

const PROCESS_COUNT = 8;

/** CoreDNS reads Services, EndpointSlices, Pods and Namespaces, as its own deployment's ClusterRole allows. */
async function corednsRbac(): Promise<void> {
  const role = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "system:coredns" },
    rules: [
      { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    ],
  };
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "system:coredns" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:coredns" }],
  };
  for (const [kind, body] of [["clusterroles", role], ["clusterrolebindings", binding]] as const) {
    const r = await apiSend("POST", `${API}/apis/rbac.authorization.k8s.io/v1/${kind}`, body);
    if (r.status !== 201 && r.status !== 409) throw new StepError("cluster up: coredns", `creating ${kind}/system:coredns answered ${r.status}: ${r.body.slice(0, 300)}`);
  }
}

const httpOk = (url: string, ours = false) => async () => (await getStatus(url, ours)).status === 200;

/** Everything of ours is running and the node is Ready. */
export async function clusterHealthy(state: ClusterState | undefined): Promise<boolean> {
  if (!state || state.processes.length < PROCESS_COUNT || !state.processes.every(isAlive)) return false;
  const node = await getStatus(`${API}/api/v1/nodes/${NODE_NAME}`, true);
  if (node.status !== 200) return false;
  const conditions = (JSON.parse(node.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

/** Starts the cluster (building the toolchain on first use); a healthy running cluster is left as it is. */
export async function startCluster(t: KubernetesToolchain, options: ClusterUpOptions, down: () => Promise<unknown>): Promise<void> {
  const existing = readState();
  if (await clusterHealthy(existing)) {
    say("cluster: already up");
    return;
  }
  // Half a cluster (a crash, a killed up): clear it completely first.
  if (existing) await down();

  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  const left = () => Math.max(5_000, deadline - Date.now());

  await ensureEngine({ startIfMissing: true });
  const pauseRef = await ensurePauseImage(t.pause, kubeVersions.pause);
  await ensurePki();
  writeKubeconfig("admin", API, true);
  for (const user of ["kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "coredns"]) writeKubeconfig(user, API, false);
  fs.rmSync(files.etcdData(), { recursive: true, force: true });
  writeNodeConfig({ pauseVersion: kubeVersions.pause, cniBinDir: t.cniBinDir });

  const owner = options.ownerPid ? procStat(options.ownerPid) : undefined;
  const state: ClusterState = {
    startedAt: new Date().toISOString(),
    ownerPid: owner ? options.ownerPid : undefined,
    ownerStartTicks: owner?.startTicks,
    processes: [],
    sysctls: readTunables(),
    createdDirs: HOST_DIRS.filter((d) => !fs.existsSync(d)),
  };
  for (const d of state.createdDirs ?? []) fs.mkdirSync(d, { recursive: true });
  writeState(state);
  // Bridged pod traffic must go through iptables, or a pod reaching a Service backed by a pod on the same
  // bridge never meets kube-proxy's DNAT.
  writeTunable("net/bridge/bridge-nf-call-iptables", "1");

  const start = (name: string, cmd: string[]): ProcessRecord => {
    const p = startBackground(name, cmd);
    state.processes.push(p);
    writeState(state);
    return p;
  };

  let cmds = commands(t);
  const containerd = start("containerd", cmds.containerd!);
  // The socket answers before containerd's CRI plugin is initialised ("server is not initialized yet"), and the
  // image import below goes through the CRI: wait for both.
  const ready = async () => (await succeeds(t.ctr, ["-a", files.containerdSocket(), "version"])) !== undefined && (await succeeds(t.crictl, ["--config", files.crictlConfig(), "images", "-q"])) !== undefined;
  await waitFor(containerd, "its socket and its CRI image service", left(), ready);
  await importImagesWith(t.crictl, t.ctr, [pauseRef]);

  const etcd = start("etcd", cmds.etcd!);
  await waitFor(etcd, "/health", left(), httpOk(`http://127.0.0.1:${PORTS.etcdClient}/health`));
  const apiserver = start("kube-apiserver", cmds["kube-apiserver"]!);
  await waitFor(apiserver, "/readyz", left(), httpOk(`${API}/readyz`, true));
  const kcm = start("kube-controller-manager", cmds["kube-controller-manager"]!);
  const scheduler = start("kube-scheduler", cmds["kube-scheduler"]!);
  await waitFor(kcm, "/healthz", left(), httpOk(`https://127.0.0.1:${PORTS.kcm}/healthz`));
  await waitFor(scheduler, "/healthz", left(), httpOk(`https://127.0.0.1:${PORTS.scheduler}/healthz`));

  await corednsRbac();
  await ensureBridge(DNS_IP, DNS_PREFIX);
  const coredns = start("coredns", cmds.coredns!);
  await waitFor(coredns, "/ready", left(), httpOk(`http://127.0.0.1:${PORTS.corednsReady}/ready`));

  cmds = commands(t, containerd.pid);
  const kubelet = start("kubelet", cmds.kubelet!);
  await waitFor(kubelet, "/healthz", left(), httpOk(`http://127.0.0.1:${PORTS.kubeletHealthz}/healthz`));
  const proxy = start("kube-proxy", cmds["kube-proxy"]!);
  await waitFor(proxy, "/healthz", left(), httpOk(`http://127.0.0.1:${PORTS.proxyHealthz}/healthz`));

  await waitFor(kubelet, `node ${NODE_NAME} Ready`, left(), () => clusterHealthy(state));
  const kube = kubeFrom(files.kubeconfig("admin"));
  await waitFor(kcm, "the default ServiceAccount", left(), async () => {
    await kube.core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
    return true;
  });
  say(`cluster: up (kubeconfig ${files.kubeconfig("admin")}, logs in ${clusterDir()}/logs)`);
}
