// The single-node Kubernetes toolchain, built lazily (only by `cp3 cluster up` and its tests, never by plain
// `cp3 setup`): the Kubernetes binaries in ONE go build, etcd, crictl and the pause binary, each into a cache
// folder keyed by its version and by every input file, so a warm call costs a few stat() calls.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "../../lib/exec";
import { cacheDir, projectRoot } from "../../lib/paths";
import { say, step } from "../../lib/progress";
import { ensureDebianPackages } from "../engine";
import { ensureGo } from "../go-build";
import versionsJson from "../versions.json";

export const kubeVersions = versionsJson.kubernetes;

const wrappers = path.join(projectRoot, "toolchain", "kubernetes");

interface GoBuild {
  id: string;
  version: string;
  moduleDir: string;
  packages: string[];
  ldflags: string[];
  /** The executables the build leaves in its folder (one per main package). */
  binaries: string[];
}

const versionFlags = (v: string): string[] => {
  const [major, minor] = v.replace(/^v/, "").split(".");
  // As Kubernetes' hack/lib/version.sh stamps them; without them the binaries say v0.0.0-master, which the
  // kubelet's and kubectl's version checks dislike.
  return ["k8s.io/client-go/pkg/version", "k8s.io/component-base/version"].flatMap((p) => [
    `-X ${p}.gitVersion=${v}`,
    `-X ${p}.gitMajor=${major}`,
    `-X ${p}.gitMinor=${minor}`,
    `-X ${p}.gitTreeState=clean`,
    `-X ${p}.buildDate=1970-01-01T00:00:00Z`,
  ]);
};

const KUBE_COMMANDS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"] as const;

export const builds = {
  kubernetes: {
    id: "kubernetes",
    version: kubeVersions.version,
    moduleDir: path.join(wrappers, "kubernetes"),
    packages: KUBE_COMMANDS.map((c) => `${kubeVersions.module}/cmd/${c}`),
    ldflags: versionFlags(kubeVersions.version),
    binaries: [...KUBE_COMMANDS],
  },
  etcd: {
    id: "etcd",
    version: kubeVersions.etcd,
    moduleDir: path.join(wrappers, "etcd"),
    // The module's root package is etcd's main.
    packages: [kubeVersions.etcdModule],
    ldflags: [],
    binaries: ["etcd"],
  },
  crictl: {
    id: "cri-tools",
    version: kubeVersions.criTools,
    moduleDir: path.join(wrappers, "cri-tools"),
    packages: [`${kubeVersions.criToolsModule}/cmd/crictl`],
    ldflags: [`-X ${kubeVersions.criToolsModule}/pkg/version.Version=${kubeVersions.criTools}`],
    binaries: ["crictl"],
  },
  coredns: {
    id: "coredns",
    version: kubeVersions.coredns,
    moduleDir: path.join(wrappers, "coredns"),
    // Our main.go: CoreDNS with only the plugins the cluster uses.
    packages: ["."],
    ldflags: [`-X ${kubeVersions.corednsModule}/coremain.GitCommit=${kubeVersions.coredns}`],
    binaries: ["coredns"],
  },
} satisfies Record<string, GoBuild>;

/** Hash of the wrapper's go.mod, go.sum and Go files (main.go included), the version, packages and flags. */
export function buildKey(b: GoBuild): string {
  const hash = createHash("sha256").update(JSON.stringify([b.id, b.version, b.packages, b.ldflags]));
  for (const name of fs.readdirSync(b.moduleDir).filter((n) => /\.(go|mod|sum)$/.test(n)).sort()) {
    hash.update(name).update(fs.readFileSync(path.join(b.moduleDir, name)));
  }
  return hash.digest("hex").slice(0, 12);
}

export function buildDir(b: GoBuild): string {
  return path.join(cacheDir("toolchain"), `${b.id}-${b.version}-${buildKey(b)}`);
}

/** A progress line every minute while a long build runs (a cold Kubernetes build takes tens of minutes). */
async function withHeartbeat<T>(what: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const timer = setInterval(() => say(`${what}: still building (${((Date.now() - t0) / 60_000).toFixed(1)} min)`), 60_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Builds every package of `b` in one `go build` into its cache folder, unless it is already there. */
async function goBuild(b: GoBuild): Promise<string> {
  const dir = buildDir(b);
  if (b.binaries.every((bin) => fs.existsSync(path.join(dir, bin)))) return dir;
  await ensureGo();
  const staging = `${dir}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -buildvcs=false" };
  await step(`build ${b.id} ${b.version} (${b.binaries.join(", ")})`, () =>
    withHeartbeat(`build ${b.id}`, () =>
      // One package: name its binary; several: go build names each after its package, in the folder.
      run("go", ["build", "-trimpath", "-ldflags", ["-s", "-w", ...b.ldflags].join(" "), "-o", b.packages.length === 1 ? path.join(staging, b.binaries[0]!) : `${staging}/`, ...b.packages], {
        step: `build ${b.id}`,
        log: `build-${b.id}`,
        cwd: b.moduleDir,
        env,
      }),
    ),
  );
  // Rename last, so an interrupted build never looks finished.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return dir;
}

/** The kubernetes module's source folder in the module cache (pause.c lives there). */
async function kubernetesSource(): Promise<string> {
  const out = await run("go", ["mod", "download", "-json", `${kubeVersions.module}@${kubeVersions.version}`], {
    step: "kubernetes source",
    log: "go-mod-download-kubernetes",
    cwd: builds.kubernetes.moduleDir,
  });
  return (JSON.parse(out) as { Dir: string }).Dir;
}

/** pause, compiled as Kubernetes' build/pause/Makefile does (static, -Os), from the module zip's pause.c. */
async function buildPause(): Promise<string> {
  const version = kubeVersions.pause;
  const key = createHash("sha256").update(`${kubeVersions.version} ${version}`).digest("hex").slice(0, 12);
  const dir = cacheDir("toolchain", `pause-${version}-${key}`);
  const binary = path.join(dir, "pause");
  if (fs.existsSync(binary)) return binary;
  await ensureDebianPackages({ gcc: "gcc", "/usr/lib/x86_64-linux-gnu/libc.a": "libc6-dev" }, "build pause");
  const source = path.join(await kubernetesSource(), "build", "pause", "linux", "pause.c");
  await step(`build pause ${version}`, () =>
    run("gcc", ["-Os", "-Wall", "-Werror", "-static", `-DVERSION=v${version}-cp3`, "-o", `${binary}.partial`, source], {
      step: "build pause",
      log: "build-pause",
    }),
  );
  fs.renameSync(`${binary}.partial`, binary);
  return binary;
}

export interface KubernetesToolchain {
  /** kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl. */
  kube: Record<(typeof KUBE_COMMANDS)[number], string>;
  etcd: string;
  crictl: string;
  coredns: string;
  pause: string;
  /** Debian's containerd (a second instance of it runs the node) and ctr. */
  containerd: string;
  ctr: string;
  /** Debian's CNI plugins. */
  cniBinDir: string;
}

/** Debian packages the node needs, by a file each installs. */
const NODE_PACKAGES: Record<string, string> = {
  "/usr/bin/containerd": "containerd",
  "/usr/bin/ctr": "containerd",
  "/usr/sbin/runc": "runc",
  "/usr/lib/cni/bridge": "containernetworking-plugins",
  "/usr/sbin/iptables": "iptables",
  "/usr/bin/openssl": "openssl",
  "/usr/bin/unshare": "util-linux",
  "/usr/bin/nsenter": "util-linux",
};

/** Builds (or finds in the cache) everything the node runs; one Go build at a time. */
export async function ensureKubernetesToolchain(): Promise<KubernetesToolchain> {
  await ensureDebianPackages(NODE_PACKAGES, "kubernetes node packages");
  const kubeDir = await goBuild(builds.kubernetes);
  const etcdDir = await goBuild(builds.etcd);
  const crictlDir = await goBuild(builds.crictl);
  const corednsDir = await goBuild(builds.coredns);
  const pause = await buildPause();
  const kube = Object.fromEntries(KUBE_COMMANDS.map((c) => [c, path.join(kubeDir, c)])) as KubernetesToolchain["kube"];
  return {
    kube,
    etcd: path.join(etcdDir, "etcd"),
    crictl: path.join(crictlDir, "crictl"),
    coredns: path.join(corednsDir, "coredns"),
    pause,
    containerd: "/usr/bin/containerd",
    ctr: "/usr/bin/ctr",
    cniBinDir: "/usr/lib/cni",
  };
}

/** The node's tools when they are already built, without building anything (for the orphan sweep). */
export function builtKubernetesTools(): { crictl?: string; kubeProxy?: string; kubectl?: string } {
  const ifBuilt = (file: string) => (fs.existsSync(file) ? file : undefined);
  return {
    crictl: ifBuilt(path.join(buildDir(builds.crictl), "crictl")),
    kubeProxy: ifBuilt(path.join(buildDir(builds.kubernetes), "kube-proxy")),
    kubectl: ifBuilt(path.join(buildDir(builds.kubernetes), "kubectl")),
  };
}
