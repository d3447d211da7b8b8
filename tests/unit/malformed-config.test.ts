// Malformed input at scale (issue 16): a table of broken stack configurations, each refused by parseConfig (which
// runs before any resource is declared) with a problem that names the key, what it got and what is allowed.
// Each row is one mutation of a valid base, in the flat "cp3:key" -> text form Pulumi hands to a program.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, SECTIONS } from "../../stacks/config";

const obj = (v: unknown) => JSON.stringify(v);
const BASE: Record<string, string> = { "cp3:kind": "ci" };

interface Row {
  /** What is wrong, for the test's name. */
  what: string;
  /** Settings laid over BASE (undefined removes a key). */
  config: Record<string, string | undefined>;
  /** The key the refusal must name, e.g. cp3:nats.storeMiB. */
  key: string;
  stack?: string;
}

const row = (what: string, config: Row["config"], key: string, stack?: string): Row => ({ what, config, key, stack });

const ROWS: Row[] = [
  // Scalars.
  row("kind missing", { "cp3:kind": undefined, "cp3:run": "r1" }, "cp3:kind"),
  row("kind unknown", { "cp3:kind": "prod" }, "cp3:kind"),
  row("kind empty", { "cp3:kind": "" }, "cp3:kind"),
  row("kind in the wrong case", { "cp3:kind": "CI" }, "cp3:kind"),
  row("run with upper case and '_'", { "cp3:run": "My_Run" }, "cp3:run"),
  row("run longer than 63", { "cp3:run": "r".repeat(64) }, "cp3:run"),
  row("run starting with '-'", { "cp3:run": "-r1" }, "cp3:run"),
  row("expires not a time", { "cp3:expires": "tomorrow" }, "cp3:expires"),
  row("system not YAML or JSON", { "cp3:system": "system.txt" }, "cp3:system"),
  row("platform unknown", { "cp3:platform": "nomad" }, "cp3:platform"),
  row("platform in the wrong case", { "cp3:platform": "Docker" }, "cp3:platform"),
  row("unknown top-level key", { "cp3:colour": "blue" }, "cp3:colour"),
  // nats
  row("nats not JSON", { "cp3:nats": "{replicas: 1" }, "cp3:nats"),
  row("nats a list", { "cp3:nats": "[1]" }, "cp3:nats"),
  row("nats.replicas above 3", { "cp3:nats": obj({ replicas: 4 }) }, "cp3:nats.replicas"),
  row("nats.storeMiB below 16", { "cp3:nats": obj({ storeMiB: 8 }) }, "cp3:nats.storeMiB"),
  row("nats.storeMiB a fraction", { "cp3:nats": obj({ storeMiB: 100.5 }) }, "cp3:nats.storeMiB"),
  row("nats.cpus above 64", { "cp3:nats": obj({ cpus: 100 }) }, "cp3:nats.cpus"),
  row("nats.memoryMiB a word", { "cp3:nats": obj({ memoryMiB: "lots" }) }, "cp3:nats.memoryMiB"),
  row("nats unknown key", { "cp3:nats": obj({ zones: 3 }) }, "cp3:nats.zones"),
  // jetstream
  row("jetstream.stream with a space", { "cp3:jetstream": obj({ stream: "MY RECORDS" }) }, "cp3:jetstream.stream"),
  row("jetstream.subjects a string, not a list", { "cp3:jetstream": obj({ subjects: "records.>" }) }, "cp3:jetstream.subjects"),
  row("jetstream.subjects with a bad subject", { "cp3:jetstream": obj({ subjects: ["records x"] }) }, "cp3:jetstream.subjects"),
  row("jetstream.maxMsgs zero", { "cp3:jetstream": obj({ maxMsgs: 0 }) }, "cp3:jetstream.maxMsgs"),
  row("jetstream.maxAgeSeconds above a year", { "cp3:jetstream": obj({ maxAgeSeconds: 31_536_001 }) }, "cp3:jetstream.maxAgeSeconds"),
  row("jetstream.duplicateWindowSeconds above a day", { "cp3:jetstream": obj({ duplicateWindowSeconds: 86_401 }) }, "cp3:jetstream.duplicateWindowSeconds"),
  row("jetstream.consumer empty", { "cp3:jetstream": obj({ consumer: "" }) }, "cp3:jetstream.consumer"),
  row("jetstream.maxAckPending negative", { "cp3:jetstream": obj({ maxAckPending: -1 }) }, "cp3:jetstream.maxAckPending"),
  row("jetstream.ackWaitSeconds above an hour", { "cp3:jetstream": obj({ ackWaitSeconds: 7200 }) }, "cp3:jetstream.ackWaitSeconds"),
  row("jetstream.maxDeliver a boolean", { "cp3:jetstream": obj({ maxDeliver: true }) }, "cp3:jetstream.maxDeliver"),
  // postgres
  row("postgres.storage unknown", { "cp3:postgres": obj({ storage: "disk" }) }, "cp3:postgres.storage"),
  row("postgres.storageMiB below 64", { "cp3:postgres": obj({ storageMiB: 32 }) }, "cp3:postgres.storageMiB"),
  row("postgres.maxConnections above 5000", { "cp3:postgres": obj({ maxConnections: 1_000_000 }) }, "cp3:postgres.maxConnections"),
  row("postgres.sharedBuffersMiB with a unit", { "cp3:postgres": obj({ sharedBuffersMiB: "128MB" }) }, "cp3:postgres.sharedBuffersMiB"),
  // toxiproxy
  row("toxiproxy.memoryMiB below 32", { "cp3:toxiproxy": obj({ memoryMiB: 16 }) }, "cp3:toxiproxy.memoryMiB"),
  row("toxiproxy.cpus zero", { "cp3:toxiproxy": obj({ cpus: 0 }) }, "cp3:toxiproxy.cpus"),
  row("toxiproxy unknown key", { "cp3:toxiproxy": obj({ port: 8474 }) }, "cp3:toxiproxy.port"),
  // chaos
  row("chaos.proxy not a boolean", { "cp3:chaos": obj({ proxy: "yes" }) }, "cp3:chaos.proxy"),
  row("chaos null", { "cp3:chaos": "null" }, "cp3:chaos"),
  // gateway
  row("gateway.hostPort above 65535", { "cp3:gateway": obj({ hostPort: 70_000 }) }, "cp3:gateway.hostPort"),
  row("gateway.maxBacklog zero", { "cp3:gateway": obj({ maxBacklog: 0 }) }, "cp3:gateway.maxBacklog"),
  row("gateway.reconcileAfterSeconds below 5", { "cp3:gateway": obj({ reconcileAfterSeconds: 1 }) }, "cp3:gateway.reconcileAfterSeconds"),
  row("gateway.memoryMiB empty text", { "cp3:gateway": obj({ memoryMiB: "" }) }, "cp3:gateway.memoryMiB"),
  // worker
  row("worker a word", { "cp3:worker": "many" }, "cp3:worker"),
  row("worker.replicas zero", { "cp3:worker": obj({ replicas: 0 }) }, "cp3:worker.replicas"),
  row("worker.concurrency above 1024", { "cp3:worker": obj({ concurrency: 2048 }) }, "cp3:worker.concurrency"),
  row("worker.cpuRounds a fraction", { "cp3:worker": obj({ cpuRounds: 1.5 }) }, "cp3:worker.cpuRounds"),
  row("worker.outputBytes negative", { "cp3:worker": obj({ outputBytes: -1 }) }, "cp3:worker.outputBytes"),
  row("worker.testOnlyAckBeforeCommit as 1", { "cp3:worker": obj({ testOnlyAckBeforeCommit: 1 }) }, "cp3:worker.testOnlyAckBeforeCommit"),
  // images
  row("images.base with upper case", { "cp3:images": obj({ base: "Registry/Base:1" }) }, "cp3:images.base"),
  row("images.base a number", { "cp3:images": obj({ base: 42 }) }, "cp3:images.base"),
  // build
  row("build.trustHostCAs unknown", { "cp3:build": obj({ trustHostCAs: "maybe" }) }, "cp3:build.trustHostCAs"),
  row("build.proxy as no", { "cp3:build": obj({ proxy: "no" }) }, "cp3:build.proxy"),
  // verify
  row("verify.enabled as on", { "cp3:verify": obj({ enabled: "on" }) }, "cp3:verify.enabled"),
  row("verify.profile in upper case", { "cp3:verify": obj({ profile: "Smoke" }) }, "cp3:verify.profile"),
  row("verify.duration in words", { "cp3:verify": obj({ duration: "10 minutes" }) }, "cp3:verify.duration"),
  row("verify.rate negative", { "cp3:verify": obj({ rate: -5 }) }, "cp3:verify.rate"),
  row("verify.experiments a string, not a list", { "cp3:verify": obj({ experiments: "worker-kill" }) }, "cp3:verify.experiments"),
  row("verify.experiments with a bad name", { "cp3:verify": obj({ experiments: ["worker kill!"] }) }, "cp3:verify.experiments"),
  row("verify.seed below -1", { "cp3:verify": obj({ seed: -2 }) }, "cp3:verify.seed"),
  row("verify.reportDir empty", { "cp3:verify": obj({ reportDir: "" }) }, "cp3:verify.reportDir"),
  // dev
  row("dev.hotReload not a boolean", { "cp3:dev": obj({ hotReload: "sometimes" }) }, "cp3:dev.hotReload"),
  row("dev unknown key", { "cp3:dev": obj({ watch: true }) }, "cp3:dev.watch"),
  // Cross-field rules.
  row("nats.memoryMiB too small for its tmpfs store", { "cp3:nats": obj({ storeMiB: 512, memoryMiB: 512 }) }, "cp3:nats.memoryMiB"),
  row("nats.replicas 2 (no majority)", { "cp3:nats": obj({ replicas: 2 }) }, "cp3:nats.replicas"),
  row("jetstream.maxBytesMiB above nats.storeMiB", { "cp3:jetstream": obj({ maxBytesMiB: 300 }) }, "cp3:jetstream.maxBytesMiB"),
  row("postgres.memoryMiB too small for tmpfs storage", { "cp3:postgres": obj({ memoryMiB: 256 }) }, "cp3:postgres.memoryMiB"),
  row("dev.hotReload on Kubernetes", { "cp3:kind": "dev", "cp3:platform": "kubernetes", "cp3:dev": obj({ hotReload: true }) }, "cp3:dev.hotReload", "dev"),
  row("verify.enabled on Kubernetes", { "cp3:platform": "kubernetes", "cp3:verify": obj({ enabled: true }) }, "cp3:verify.enabled"),
  row("tls.enabled not a boolean", { "cp3:tls": obj({ enabled: "yes" }) }, "cp3:tls.enabled"),
  row("observability.scrapeIntervalSeconds zero", { "cp3:observability": obj({ enabled: true, scrapeIntervalSeconds: 0 }) }, "cp3:observability.scrapeIntervalSeconds"),
  row("postgres.password too short", { "cp3:postgres": obj({ password: "short" }) }, "cp3:postgres.password"),
  row("dev.hotReload on a staging stack", { "cp3:kind": "staging", "cp3:dev": obj({ hotReload: true }) }, "cp3:dev.hotReload", "staging"),
  row("gateway.hostPort fixed on the shared ci stack", { "cp3:gateway": obj({ hostPort: 8080 }) }, "cp3:gateway.hostPort", "ci"),
];

function configOf(r: Row): Record<string, string> {
  const out: Record<string, string> = { ...BASE };
  for (const [k, v] of Object.entries(r.config)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The problems parseConfig reports, or undefined when it accepts the configuration. */
function refusal(r: Row): string[] | undefined {
  try {
    parseConfig(configOf(r), r.stack ?? "ci");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return undefined;
}

describe("malformed stack configurations", () => {
  it("start from a base that parseConfig accepts", () => {
    expect(() => parseConfig(BASE, "ci")).not.toThrow();
  });

  it(`are at least 30 (${ROWS.length}) and cover every section, scalar and cross-field rule`, () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(30);
    const named = new Set(ROWS.map((r) => r.key.replace(/^cp3:/, "").split(".")[0]));
    for (const key of ["kind", "run", "expires", "system", "platform", ...Object.keys(SECTIONS)]) expect(named, key).toContain(key);
    expect(new Set(ROWS.map((r) => r.what)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((r) => [r.what, r] as const))("refuses %s, naming the key, what it got and what is allowed", (_what, r) => {
    const problems = refusal(r);
    expect(problems, "accepted").toBeDefined();
    const line = problems!.find((p) => p.startsWith(`${r.key}: `));
    expect(line, `no problem names ${r.key}: ${JSON.stringify(problems)}`).toBeDefined();
    expect(line).toMatch(/: (got .+; allowed: .+|unknown key; allowed keys: .+)$/);
  });

  it("refuses every row, and counts them", () => {
    const refused = ROWS.filter((r) => refusal(r)?.some((p) => p.startsWith(`${r.key}: `)));
    expect(refused.map((r) => r.what)).toEqual(ROWS.map((r) => r.what));
    expect(refused.length).toBeGreaterThanOrEqual(30);
  });
});
