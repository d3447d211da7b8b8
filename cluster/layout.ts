// Where the single-node cluster keeps its files: one folder in the cache (outside the work tree), the same
// on every call, so `down`, `status` and the orphan sweep find what `up` started.
import * as path from "node:path";
import { cacheDir } from "../lib/paths";

/** The node's name: apiserver→kubelet traffic (logs, exec, port-forward) resolves it to 127.0.0.1. */
export const NODE_NAME = "localhost";
/** Pod addresses (the CNI bridge's host-local range) and Service ClusterIPs. */
export const POD_CIDR = "10.244.0.0/24";
export const SERVICE_CIDR = "10.96.0.0/16";
export const API_SERVICE_IP = "10.96.0.1";
/** Our CNI bridge: a name of our own, so down removes it and nothing else. */
export const BRIDGE = "cp3-cni0";
export const CNI_NETWORK = "cp3";
/** Fixed loopback ports of the node's components (one cluster per machine). */
export const PORTS = { etcdClient: 2479, etcdPeer: 2480, apiserver: 6443, kcm: 10257, scheduler: 10259, kubelet: 10250, kubeletHealthz: 10248, proxyHealthz: 10256, proxyMetrics: 10249, corednsHealth: 10180, corednsReady: 10181 } as const;
/**
 * The cluster's DNS server: CoreDNS on the host, bound to the bridge's gateway address only, so pods reach it
 * over their own bridge and nothing outside does. (The host's resolver is not on 127.0.0.1: nothing is forwarded.)
 */
export const DNS_IP = "10.244.0.1";
export const DNS_PREFIX = 24;

export function clusterDir(): string {
  return cacheDir("cluster");
}

export function clusterPath(...parts: string[]): string {
  return path.join(clusterDir(), ...parts);
}

export const files = {
  state: () => clusterPath("state.json"),
  pki: (name = "") => path.join(cacheDir("cluster", "pki"), name),
  kubeconfig: (user: string) => clusterPath(`${user}.kubeconfig`),
  log: (process: string) => path.join(cacheDir("cluster", "logs"), `${process}.log`),
  etcdData: () => clusterPath("etcd-data"),
  containerdConfig: () => clusterPath("containerd.toml"),
  containerdSocket: () => clusterPath("containerd.sock"),
  /** Kept across up/down: the images' content, so a warm import is a lookup. */
  containerdRoot: () => clusterPath("containerd", "root"),
  containerdState: () => clusterPath("containerd", "state"),
  runcRoot: () => clusterPath("containerd", "runc"),
  containerdOpt: () => clusterPath("containerd", "opt"),
  /** Bound over /run/containerd and /var/lib/cni inside the node's mount namespace. */
  runContainerd: () => clusterPath("containerd", "run"),
  varLibCni: () => clusterPath("cni", "state"),
  cniConfDir: () => clusterPath("cni", "net.d"),
  kubeletRoot: () => clusterPath("kubelet"),
  kubeletConfig: () => clusterPath("kubelet-config.json"),
  crictlConfig: () => clusterPath("crictl.yaml"),
  podLogs: () => clusterPath("pod-logs"),
  corefile: () => clusterPath("Corefile"),
} as const;
