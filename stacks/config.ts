// The one typed, validated schema for stack configuration. It is read only here, where stacks are assembled;
// components receive plain typed arguments. Every bad or unknown key is reported at once, with what it got and
// what is allowed, before any resource is declared.
import { isEphemeral } from "../lib/pulumi-env";
import { parseJsonValue, readSection, type SectionSpec, type SectionValue } from "./schema";

export type StackKind = "ci" | "dev" | "staging";
const KINDS: readonly StackKind[] = ["ci", "dev", "staging"];
export type Platform = "docker" | "kubernetes";
const PLATFORMS: readonly Platform[] = ["docker", "kubernetes"];

const resources = (memoryMiB: number, cpus: number) =>
  ({
    memoryMiB: { type: "int", min: 32, max: 65_536, default: memoryMiB },
    cpus: { type: "number", min: 0.05, max: 64, default: cpus },
  }) as const;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export const SECTIONS = {
  nats: {
    replicas: { type: "int", min: 1, max: 3, default: 1 },
    storeMiB: { type: "int", min: 16, max: 65_536, default: 256 },
    ...resources(512, 1),
  },
  jetstream: {
    stream: { type: "string", pattern: NAME, describe: "letters, digits, '_' and '-', up to 64", default: "RECORDS" },
    subjects: { type: "strings", pattern: /^[A-Za-z0-9_.>*-]{1,128}$/, describe: "NATS subjects", default: ["records.>"] },
    maxMsgs: { type: "int", min: 1, max: 1e12, default: 1_000_000 },
    maxBytesMiB: { type: "int", min: 1, max: 1_048_576, default: 200 },
    maxAgeSeconds: { type: "int", min: 1, max: 31_536_000, default: 86_400 },
    duplicateWindowSeconds: { type: "int", min: 1, max: 86_400, default: 120 },
    discard: { type: "enum", values: ["new", "old"], default: "new" },
    consumer: { type: "string", pattern: NAME, describe: "letters, digits, '_' and '-', up to 64", default: "workers" },
    maxAckPending: { type: "int", min: 1, max: 1_000_000, default: 1000 },
    ackWaitSeconds: { type: "int", min: 1, max: 3600, default: 30 },
    maxDeliver: { type: "int", min: 1, max: 1000, default: 10 },
  },
  postgres: {
    storage: { type: "enum", values: ["tmpfs", "volume"], default: "tmpfs" },
    storageMiB: { type: "int", min: 64, max: 1_048_576, default: 512 },
    maxConnections: { type: "int", min: 10, max: 5000, default: 100 },
    sharedBuffersMiB: { type: "int", min: 16, max: 65_536, default: 128 },
    /**
     * The superuser password, set (as a secret) by `cp3 rotate-secret`; empty keeps the one generated when the
     * stack was created. The alphabet keeps it safe in a DSN unencoded.
     */
    password: { type: "string", pattern: /^$|^[A-Za-z0-9_-]{24,128}$/, describe: "24 to 128 letters, digits, '_' or '-' (set it with `cp3 rotate-secret`), or empty", default: "", secret: true },
    ...resources(768, 1),
  },
  toxiproxy: { ...resources(128, 0.5) },
  chaos: {
    proxy: { type: "bool", default: true },
  },
  tls: {
    /** Clients reach NATS and PostgreSQL over TLS, verifying a per-stack CA (the ci template turns it on). */
    enabled: { type: "bool", default: false },
  },
  observability: {
    /** Prometheus and the exporters (and Jaeger, with `tracing`) in the testbed (Docker): RED panels in the report, every target up in the health gate. */
    enabled: { type: "bool", default: false },
    /** Seconds between scrapes and rule evaluations; a run lasts minutes, so short. */
    scrapeIntervalSeconds: { type: "int", min: 1, max: 60, default: 5 },
    /** Prometheus's memory limit (its 128 MiB tmpfs store counts against it). */
    memoryMiB: { type: "int", min: 256, max: 65_536, default: 384 },
    cpus: { type: "number", min: 0.05, max: 64, default: 0.5 },
    /** Jaeger beside Prometheus: the services' spans, and the run's trace coverage. */
    tracing: { type: "bool", default: true },
    /** One request in this many is sent sampled (1: every one); coverage is judged over the sampled records. */
    traceSampleEvery: { type: "int", min: 1, max: 1_000_000, default: 1 },
    /** Jaeger's memory limit (it keeps the last 100,000 traces in memory, about 4 KiB each). */
    jaegerMemoryMiB: { type: "int", min: 128, max: 65_536, default: 1024 },
  },
  gateway: {
    /** 0: a host port the engine picks (ci); a fixed one for dev. */
    hostPort: { type: "int", min: 0, max: 65_535, default: 0 },
    /** Work waiting in the stream above which the gateway answers 429. */
    maxBacklog: { type: "int", min: 1, max: 100_000_000, default: 50_000 },
    /** Records still pending this long after they were accepted are published again (JetStream data lost). */
    reconcileAfterSeconds: { type: "int", min: 5, max: 86_400, default: 60 },
    ...resources(256, 1),
  },
  worker: {
    replicas: { type: "int", min: 1, max: 16, default: 2 },
    concurrency: { type: "int", min: 1, max: 1024, default: 32 },
    /** Synthetic work per record: rounds of SHA-256, and the size of the stored output. */
    cpuRounds: { type: "int", min: 1, max: 1_000_000, default: 100 },
    outputBytes: { type: "int", min: 0, max: 1_048_576, default: 256 },
    /** TEST ONLY: ack a message before committing its result, so a crash loses it; proves the checker can fail. */
    testOnlyAckBeforeCommit: { type: "bool", default: false },
    /** TEST ONLY: the workers' configuration turns fatal this long after they start (0: never); proves the alert a flow sends before it stops. */
    testOnlyFatalAfterSeconds: { type: "int", min: 0, max: 86_400, default: 0 },
    ...resources(256, 0.5),
  },
  images: {
    /** A base image from your own registry instead of building one; empty builds it locally. */
    base: { type: "string", pattern: /^$|^[a-z0-9][a-z0-9._/:@-]*$/, describe: "an image reference, or empty to build locally", default: "" },
  },
  build: {
    /**
     * Offer the host's CA bundle to every image build as the BuildKit secret `ca-bundle` (never stored in an
     * image): auto does so when the host trusts a CA the Debian root does not (a TLS-intercepting proxy's).
     */
    trustHostCAs: { type: "enum", values: ["auto", "true", "false"], default: "auto" },
    /** Pass the host's HTTP_PROXY, HTTPS_PROXY and NO_PROXY (any case; FTP_ and ALL_ too) to every build. */
    proxy: { type: "bool", default: true },
  },
  verify: {
    /** Prove the testbed inside `pulumi up` (a resource hook runs `cp3 verify`); the update fails unless READY. */
    enabled: { type: "bool", default: false },
    /** `cp3 verify`'s flags; the hook checks them with the same code before anything is created. */
    profile: { type: "string", pattern: /^[a-z]+$/, describe: "a load profile: smoke, load, stress or soak", default: "smoke" },
    duration: { type: "string", pattern: /^$|^\d+[smh]$/, describe: "empty (the profile's) or a duration such as 90s, 10m, 24h", default: "" },
    rate: { type: "int", min: 0, max: 100_000, default: 0 },
    experiments: { type: "strings", pattern: /^[A-Za-z0-9_./-]+$/, describe: "experiment names or JSON files (or none)", default: ["worker-kill", "nats-restart"] },
    seed: { type: "int", min: -1, max: 2_147_483_647, default: -1 },
    reportDir: { type: "string", pattern: /^[^\0]+$/, describe: "a folder", default: "report" },
  },
  dev: {
    /** Bind-mount the flows' code and restart them on change (dev stacks). */
    hotReload: { type: "bool", default: false },
  },
} as const satisfies Record<string, SectionSpec>;

type Sections = typeof SECTIONS;

export type TestbedConfig = {
  kind: StackKind;
  run: string;
  expires: string;
  /** A system description file (YAML or JSON, relative to the project), or empty for the reference workload. */
  system: string;
  /** Where the testbed runs: the local Docker engine, or the Kubernetes cluster `cp3 cluster up` starts. */
  platform: Platform;
} & {
  [K in keyof Sections]: SectionValue<Sections[K]>;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const NS = "cp3";
const SCALARS = ["kind", "run", "expires", "system", "platform"];

/**
 * Parses the project's configuration as Pulumi hands it to a program: a flat map of "cp3:key" to text (objects
 * arrive as JSON).
 */
export function parseConfig(all: Record<string, string>, stack: string): TestbedConfig {
  const problems: string[] = [];
  const allowed = [...SCALARS, ...Object.keys(SECTIONS)];
  const own: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    const [ns, key] = fullKey.split(":", 2);
    if (ns !== NS || key === undefined) continue;
    if (!allowed.includes(key)) problems.push(`${fullKey}: unknown key; allowed keys: ${allowed.map((k) => `${NS}:${k}`).join(", ")}`);
    else own[key] = value;
  }

  // No cp3: key at all: a plain `pulumi stack select --create` made the stack file before cp3 generated it.
  if (Object.keys(all).every((k) => !k.startsWith(`${NS}:`))) {
    throw new ConfigError([
      `${NS}:kind: got nothing (the stack file of "${stack}" has no ${NS}: settings at all); allowed: ${KINDS.join(", ")}, with the settings cp3 generates from stacks/templates/Pulumi.<kind>.yaml: run \`eval "$(npm run -s cp3 -- setup --env)"\` (or any cp3 verb), then pulumi again`,
    ]);
  }
  const kind = own.kind as StackKind | undefined;
  if (kind === undefined || !KINDS.includes(kind)) problems.push(`${NS}:kind: got ${JSON.stringify(own.kind)}; allowed: ${KINDS.join(", ")} (required)`);
  const expires = own.expires ?? "";
  if (expires !== "" && Number.isNaN(Date.parse(expires))) {
    problems.push(`${NS}:expires: got ${JSON.stringify(expires)}; allowed: an ISO 8601 time such as 2026-11-24T12:00:00Z, or empty`);
  }
  const run = own.run ?? stack;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(run)) problems.push(`${NS}:run: got ${JSON.stringify(run)}; allowed: lower-case letters, digits and '-', up to 63 characters`);

  const sections: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SECTIONS)) {
    sections[name] = readSection(`${NS}:${name}`, spec, parseJsonValue(`${NS}:${name}`, own[name], problems), problems);
  }
  const system = own.system ?? "";
  if (system !== "" && !/\.(ya?ml|json)$/.test(system)) problems.push(`${NS}:system: got ${JSON.stringify(system)}; allowed: a .yaml, .yml or .json system description file, or empty for the reference workload`);
  const platform = (own.platform ?? "docker") as Platform;
  if (!PLATFORMS.includes(platform)) problems.push(`${NS}:platform: got ${JSON.stringify(own.platform)}; allowed: ${PLATFORMS.join(", ")}`);
  const config = { kind: kind as StackKind, run, expires, system, platform, ...sections } as TestbedConfig;
  crossChecks(config, stack, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Rules that span fields. */
function crossChecks(c: TestbedConfig, stack: string, problems: string[]): void {
  // The store lives in the container's memory (tmpfs), so the memory limit must leave room beside it.
  if (c.nats.memoryMiB < c.nats.storeMiB + 64) {
    problems.push(`${NS}:nats.memoryMiB: got ${c.nats.memoryMiB}; allowed: at least nats.storeMiB + 64 (${c.nats.storeMiB + 64}), since the tmpfs store counts against the memory limit`);
  }
  if (c.nats.replicas === 2) problems.push(`${NS}:nats.replicas: got 2; allowed: 1 or 3 (a JetStream cluster needs a majority)`);
  if (c.jetstream.maxBytesMiB > c.nats.storeMiB) {
    problems.push(`${NS}:jetstream.maxBytesMiB: got ${c.jetstream.maxBytesMiB}; allowed: at most nats.storeMiB (${c.nats.storeMiB}), the size of the store`);
  }
  if (c.postgres.storage === "tmpfs" && c.postgres.memoryMiB < c.postgres.storageMiB + c.postgres.sharedBuffersMiB + 64) {
    const need = c.postgres.storageMiB + c.postgres.sharedBuffersMiB + 64;
    problems.push(`${NS}:postgres.memoryMiB: got ${c.postgres.memoryMiB}; allowed: at least storageMiB + sharedBuffersMiB + 64 (${need}) with tmpfs storage`);
  }
  if (c.platform === "kubernetes" && c.dev.hotReload) problems.push(`${NS}:dev.hotReload: got true; allowed: false on Kubernetes (hot reload bind-mounts host folders, which Pod Security restricted refuses)`);
  if (c.platform === "kubernetes" && c.verify.enabled) problems.push(`${NS}:verify.enabled: got true; allowed: false on Kubernetes for now (the verification hook is wired into the Docker Testbed only); prove a Kubernetes stack with \`cp3 verify --stack S\` after its up`);
  if (c.dev.hotReload && c.kind !== "dev") problems.push(`${NS}:dev.hotReload: got true; allowed: only on dev stacks (this is ${c.kind})`);
  // The shared ci file must leave the port to the engine, so stacks side by side never collide; each ci-<run>
  // stack gets a free port of its own when cp3 creates it (kept across container restarts).
  if (c.kind === "ci" && c.gateway.hostPort !== 0 && !isEphemeral(stack)) {
    problems.push(`${NS}:gateway.hostPort: got ${c.gateway.hostPort}; allowed: 0 on the ci stack, so stacks side by side never collide (ci-<run> stacks get a free port each)`);
  }
}
