// cp3-testbed as a library: what another Pulumi program imports to declare the testbed from a system description
// of its own (README, "Using the components from your own Pulumi program"):
//
//   import { Testbed, debianRootImage, hostBuildOffer, referenceWorkload, validateSpec } from "cp3-testbed";
//
// The package's entry is the compiled form of this file, dist/index.js with its declarations (dist/index.d.ts),
// built by `cp3 setup` with tsconfig.build.json: a consumer requires plain JavaScript, whatever its own TypeScript
// settings, and ts-node (which compiles nothing under node_modules) is never asked to compile this package.
import * as path from "node:path";
import { projectRoot, cacheRoot } from "./lib/paths";
import { parseConfig, type TestbedConfig } from "./stacks/config";
import { referenceWorkload as referencePreset } from "./testbed/presets/reference";
import type { TestbedSpecInput } from "./testbed/spec";
import { baseRootImage, stockCaBundle } from "./toolchain/rootfs";
import { hostFacts, resolveHostOffer } from "./stacks/host-offer";
import type { HostBuildOffer } from "./components/local-image";

// The components.
export { Testbed, type TestbedArgs, type TestbedOutputs, type SystemOutputs } from "./components/testbed";
export type { HostBuildOffer } from "./components/local-image";
export { Service, type ServiceArgs, type ContainerCheck } from "./components/service";
export { ownershipLabels, type Ownership } from "./components/labels";
export { type TestbedObservability, type TestbedTracing, type TracesOutputs } from "./components/testbed";
export { Observability, type ObservabilityArgs, type DashboardSource } from "./components/observability";
export { Prometheus, type PrometheusArgs, type ScrapeJob } from "./components/prometheus";
export { Alertmanager, type AlertmanagerArgs } from "./components/alertmanager";
export { Jaeger, type JaegerArgs } from "./components/jaeger";
export { alertRules, burnWindows, type GeneratedRules } from "./components/alert-rules";

// The system description: its types and schema, the checks, files, and the reference workload.
export {
  testbedSpecSchema,
  WIRED,
  type TestbedSpec,
  type TestbedSpecInput,
  type ServiceSpec,
  type ImageSpec,
  type CheckSpec,
  type WiredValue,
  type OracleSpec,
  type ProbeSpec,
} from "./testbed/spec";
export { validateSpec, SpecError } from "./testbed/validate";
export { loadSpecFile, resolvePaths } from "./testbed/load";
export { REFERENCE_ORACLE_QUERY } from "./testbed/presets/reference";

/** The reference workload's knobs (sizes, replicas, JetStream limits): a stack's `cp3:*` settings. */
export type ReferenceSettings = Pick<TestbedConfig, "nats" | "jetstream" | "postgres" | "toxiproxy" | "gateway" | "worker" | "dev" | "tls">;

/** The reference workload's settings as a new stack has them before any `cp3:*` setting (stacks/config.ts). */
export function referenceSettings(): ReferenceSettings {
  const { nats, jetstream, postgres, toxiproxy, gateway, worker, dev, tls } = parseConfig({ "cp3:kind": "ci" }, "ci");
  return { nats, jetstream, postgres, toxiproxy, gateway, worker, dev, tls };
}

/** The reference workload's code (core library, flows, migrations) in this package. */
export function referenceWorkloadDir(): string {
  return path.join(projectRoot, "workload");
}

/**
 * The reference workload (gateway → JetStream → workers → PostgreSQL) as a description, to change and validate:
 * with no arguments, from the default settings and this package's workload folder.
 */
export function referenceWorkload(settings: ReferenceSettings = referenceSettings(), workloadDir: string = referenceWorkloadDir()): TestbedSpecInput {
  return referencePreset(settings, workloadDir);
}

/** The Debian root image every testbed image starts from (`cp3/debian:<suite>-<hash>`), which `cp3 setup` imports into the engine. */
export function debianRootImage(): string {
  return baseRootImage().ref;
}

/**
 * What cp3's own stacks offer every image build of this host (README, "Image builds behind a TLS-intercepting
 * proxy"): its CA bundle as the BuildKit secret `ca-bundle` when it trusts a CA the Debian root does not (or as
 * `trustHostCAs` says), and its proxy settings. Give it to `Testbed` as `hostOffer`.
 */
export function hostBuildOffer(build: { trustHostCAs?: "auto" | "true" | "false"; proxy?: boolean } = {}): HostBuildOffer {
  return resolveHostOffer({ trustHostCAs: build.trustHostCAs ?? "auto", proxy: build.proxy ?? true }, hostFacts(stockCaBundle())).offer;
}

/**
 * Where the images take their binaries from (nats-server, nats, toxiproxy-server, Node.js): `CP3_TOOLCHAIN_BIN`
 * when set, else the folder `cp3 setup` links them into (toolchain/setup.ts binDir(): `<cache>/toolchain/bin`,
 * `CP3_CACHE_DIR` honoured).
 */
export function toolchainBinDir(): string {
  return process.env.CP3_TOOLCHAIN_BIN || path.join(cacheRoot(), "toolchain", "bin");
}

// The images read CP3_TOOLCHAIN_BIN while the program runs (components/build-context.ts); a program of a user's
// own, run by a plain `pulumi up`, gets the set-up's folder without exporting anything.
if (!process.env.CP3_TOOLCHAIN_BIN) process.env.CP3_TOOLCHAIN_BIN = toolchainBinDir();
