// The tools the testbed needs, where each comes from, and how to tell a suitable one already installed.
import * as path from "node:path";
import { projectRoot } from "../lib/paths";
import versionsJson from "./versions.json";

export const versions = versionsJson;

export type ToolId = "pulumi" | "language-nodejs" | "docker-provider" | "kubernetes-provider" | "nats-server" | "natscli" | "loadgen" | "toxiproxy" | "jaeger" | "syft";

export interface GoTool {
  id: ToolId;
  /** File name of the binary, as found on PATH. */
  binary: string;
  version: string;
  /** Wrapper module under toolchain/ whose go.mod and go.sum pin the build. */
  moduleDir: string;
  /** Package to build; undefined when moduleDir is itself the main package. */
  goPackage?: string;
  /** -X flags that stamp the version into the binary. */
  ldflags: string[];
  /** Go build tags. @default none */
  tags?: string[];
  /** Custom build (the docker provider needs a prepared upstream copy); receives the output file. */
  buildScript?: string;
  /** Arguments that print the version, and the lowest version accepted from an existing install. */
  versionArgs: string[];
  minimum: string;
  /** Whether a copy found on PATH may be used instead of building it. */
  reuseFromPath: boolean;
  /** A resource provider plugin's name: installed into Pulumi's plugin cache at exactly `version`, not on PATH. */
  plugin?: string;
  /**
   * When it is built instead of by `cp3 setup` ("on first Kubernetes use"): `cp3 setup` only reports it, and its
   * own ensure function builds it (the kubernetes provider: toolchain/kubernetes-provider.ts).
   */
  lazy?: string;
}

const toolchainDir = path.join(projectRoot, "toolchain");
const v = versions;

export const goTools: GoTool[] = [
  {
    id: "pulumi",
    binary: "pulumi",
    version: v.pulumi.version,
    moduleDir: path.join(toolchainDir, "pulumi"),
    goPackage: v.pulumi.package,
    // The Automation API refuses a CLI whose version is empty, so the version is stamped in.
    ldflags: [`-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${v.pulumi.version}`],
    versionArgs: ["version"],
    minimum: v.pulumi.version,
    reuseFromPath: true,
  },
  {
    id: "language-nodejs",
    binary: "pulumi-language-nodejs",
    version: v.languageNodejs.version,
    moduleDir: path.join(toolchainDir, "language-nodejs"),
    ldflags: [`-X main.version=${v.languageNodejs.version}`],
    versionArgs: [],
    minimum: v.languageNodejs.version,
    reuseFromPath: true,
  },
  {
    id: "docker-provider",
    binary: "pulumi-resource-docker",
    version: v.dockerProvider.version,
    moduleDir: path.join(toolchainDir, "docker-provider"),
    ldflags: [],
    buildScript: path.join(toolchainDir, "docker-provider", "build.sh"),
    versionArgs: [],
    minimum: v.dockerProvider.version,
    // Installed into Pulumi's plugin cache at exactly the SDK's version, never taken from PATH.
    reuseFromPath: false,
    plugin: "docker",
  },
  {
    // Pulumi's own provider module; build.sh writes the files its main embeds and stamps the version (-ldflags).
    id: "kubernetes-provider",
    binary: "pulumi-resource-kubernetes",
    version: v.kubernetesProvider.version,
    moduleDir: path.join(toolchainDir, "kubernetes-provider"),
    ldflags: [],
    buildScript: path.join(toolchainDir, "kubernetes-provider", "build.sh"),
    versionArgs: [],
    minimum: v.kubernetesProvider.version,
    reuseFromPath: false,
    plugin: "kubernetes",
    // Minutes of compiling that the Docker path never needs.
    lazy: "on first Kubernetes use",
  },
  {
    id: "nats-server",
    binary: "nats-server",
    version: v.natsServer.version,
    moduleDir: path.join(toolchainDir, "nats-server"),
    goPackage: v.natsServer.package,
    ldflags: [],
    versionArgs: ["--version"],
    // The CP3 operations baseline requires at least 2.10.7.
    minimum: "2.10.7",
    reuseFromPath: true,
  },
  {
    id: "natscli",
    binary: "nats",
    version: v.natsCli.version,
    moduleDir: path.join(toolchainDir, "natscli"),
    goPackage: v.natsCli.package,
    ldflags: [`-X main.version=${v.natsCli.version}`],
    versionArgs: ["--version"],
    minimum: "0.1.0",
    reuseFromPath: true,
  },
  {
    // The default load engine: our command on vegeta's library (MIT); k6 is AGPL-3.0 and never built here.
    id: "loadgen",
    binary: "loadgen",
    version: v.loadgen.version,
    moduleDir: path.join(toolchainDir, "loadgen"),
    ldflags: [`-X main.version=${v.loadgen.version}`],
    versionArgs: ["--version"],
    minimum: v.loadgen.version,
    // Ours: always the build from this checkout's module.
    reuseFromPath: false,
  },
  {
    id: "toxiproxy",
    binary: "toxiproxy-server",
    version: v.toxiproxy.version,
    moduleDir: path.join(toolchainDir, "toxiproxy"),
    goPackage: v.toxiproxy.package,
    ldflags: [`-X github.com/Shopify/toxiproxy/v2.Version=${v.toxiproxy.version}`],
    versionArgs: ["--version"],
    minimum: "2.5.0",
    reuseFromPath: true,
  },
  {
    // The testbed's traces: Jaeger all-in-one (v2's OpenTelemetry-collector build), baked into the monitoring image.
    id: "jaeger",
    binary: "jaeger",
    version: v.jaeger.version,
    moduleDir: path.join(toolchainDir, "jaeger"),
    goPackage: v.jaeger.package,
    ldflags: [`-X github.com/jaegertracing/jaeger/internal/version.latestVersion=${v.jaeger.version}`],
    versionArgs: ["version"],
    minimum: v.jaeger.version.replace(/^v/, ""),
    // Only this build: the image must hold the pinned version, whatever else is installed.
    reuseFromPath: false,
  },
  {
    // The SBOMs of the testbed's images (CycloneDX); run with every network lookup off (supply-chain/sbom.ts).
    id: "syft",
    binary: "syft",
    version: v.syft.version,
    moduleDir: path.join(toolchainDir, "syft"),
    goPackage: v.syft.package,
    ldflags: [`-X main.version=${v.syft.version.replace(/^v/, "")}`],
    // syft's own release build: the pure-Go OpenPGP for container signatures, no btrfs driver (it needs cgo).
    tags: ["containers_image_openpgp", "exclude_graphdriver_btrfs"],
    versionArgs: ["version"],
    minimum: v.syft.version.replace(/^v/, ""),
    reuseFromPath: true,
  },
];

/** Parses the first x.y.z in a tool's version output. */
export function parseVersion(text: string): string | undefined {
  return /(\d+\.\d+\.\d+)/.exec(text)?.[1];
}

/** True when version a >= b (numeric x.y.z). */
export function atLeast(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
