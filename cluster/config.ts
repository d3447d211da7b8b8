// The node's configuration files: the second containerd's (its own root, state, socket and runc root; CRI on),
// the CNI network (bridge + host-local + portmap + firewall), the kubelet's and crictl's.
import * as fs from "node:fs";
import { BRIDGE, CNI_NETWORK, DNS_IP, NODE_NAME, PORTS, POD_CIDR, files } from "./layout";

export const PAUSE_IMAGE_REPO = "cp3/pause";

export function pauseImageRef(version: string): string {
  return `docker.io/${PAUSE_IMAGE_REPO}:${version}`;
}

export function containerdConfig(o: { pauseVersion: string; cniBinDir: string }): string {
  const q = JSON.stringify;
  return `version = 2
root = ${q(files.containerdRoot())}
state = ${q(files.containerdState())}
# No debug socket and no metrics listener; the one socket is ours.
[grpc]
  address = ${q(files.containerdSocket())}
[plugins."io.containerd.internal.v1.opt"]
  path = ${q(files.containerdOpt())}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(pauseImageRef(o.pauseVersion))}
  # These machines drop CAP_SYS_RESOURCE: runc must not raise a container's oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = ${q(files.runcRoot())}
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(o.cniBinDir)}
    conf_dir = ${q(files.cniConfDir())}
    max_conf_num = 1
`;
}

export function cniConflist(): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: CNI_NETWORK,
      plugins: [
        {
          type: "bridge",
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          // A pod reaching itself through a Service ClusterIP comes back through its own bridge port.
          hairpinMode: true,
          ipam: { type: "host-local", ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: "0.0.0.0/0" }] },
        },
        { type: "portmap", capabilities: { portMappings: true } },
        // Docker's FORWARD policy is DROP; pod traffic crosses FORWARD, so let it through (and replies back).
        { type: "firewall", backend: "iptables" },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(): string {
  return JSON.stringify(
    {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      // Loopback only: the API server reaches the kubelet by the node's hostname, "localhost".
      address: "127.0.0.1",
      port: PORTS.kubelet,
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort: PORTS.kubeletHealthz,
      tlsCertFile: files.pki("kubelet-serving.crt"),
      tlsPrivateKeyFile: files.pki("kubelet-serving.key"),
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: files.pki("ca.crt") } },
      authorization: { mode: "Webhook" },
      containerRuntimeEndpoint: `unix://${files.containerdSocket()}`,
      cgroupDriver: "cgroupfs",
      failSwapOn: false,
      // cgroup v1 here; 1.34 is the last line where v1 is allowed by default.
      failCgroupV1: false,
      // The images are imported, never pulled: never collect them.
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%" },
      // false: the kubelet sets vm.overcommit_memory, kernel.panic, kernel.panic_on_oops (and keys limits) to
      // its values, and `up` saved them before so `down` puts them back. true would make it refuse to start
      // on a host with other values, which is the common case.
      protectKernelDefaults: false,
      podLogsDir: files.podLogs(),
      resolvConf: "/etc/resolv.conf",
      registerNode: true,
      serializeImagePulls: false,
      maxPods: 60,
      clusterDNS: [DNS_IP],
      clusterDomain: "cluster.local",
      staticPodPath: "",
      rotateCertificates: false,
      serverTLSBootstrap: false,
      nodeStatusReportFrequency: "10s",
    },
    null,
    2,
  );
}

/** CoreDNS: cluster.local (and reverse lookups) from the API server; health and ready on 127.0.0.1. */
export function corefile(): string {
  return `.:53 {
    bind ${DNS_IP}
    errors
    health 127.0.0.1:${PORTS.corednsHealth}
    ready 127.0.0.1:${PORTS.corednsReady}
    cache 30
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${files.kubeconfig("coredns")} cp3
        pods insecure
    }
}
`;
}

export function crictlConfig(): string {
  const sock = `unix://${files.containerdSocket()}`;
  return `runtime-endpoint: ${sock}\nimage-endpoint: ${sock}\ntimeout: 30\n`;
}

export function writeNodeConfig(o: { pauseVersion: string; cniBinDir: string }): void {
  fs.mkdirSync(files.cniConfDir(), { recursive: true });
  fs.writeFileSync(files.containerdConfig(), containerdConfig(o));
  fs.writeFileSync(`${files.cniConfDir()}/10-${CNI_NETWORK}.conflist`, cniConflist());
  fs.writeFileSync(files.kubeletConfig(), kubeletConfig());
  fs.writeFileSync(files.crictlConfig(), crictlConfig());
  fs.writeFileSync(files.corefile(), corefile());
  for (const dir of [files.containerdRoot(), files.containerdState(), files.runcRoot(), files.containerdOpt(), files.runContainerd(), files.varLibCni(), files.kubeletRoot(), files.podLogs()]) {
    fs.mkdirSync(dir, { recursive: true });
  }
}

export { NODE_NAME };
