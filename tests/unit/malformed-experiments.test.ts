// Malformed input at scale (issue 16): a table of broken experiment files, each generated from a valid base by one
// mutation, written to a temporary folder and refused by loadExperimentFile (what `cp3 run --experiments FILE`
// and `cp3 chaos --file` call before anything is created) with an error naming the field and what it got.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExperimentError, loadExperimentFile } from "../../chaos";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Valid: every probe kind, a toxic on a link, a container fault, a partition with a peer. */
const base = (): Json => ({
  name: "malformed-base",
  description: "the valid experiment every row breaks in one place",
  steadyState: [
    { probe: "gateway-ready" },
    { probe: "consumer-lag", max: 1000 },
    { probe: "error-rate", max: 0.05, windowSeconds: 10 },
    { probe: "http", service: "gateway", port: 8080, path: "/healthz" },
  ],
  method: [
    { kind: "latency", target: { link: "postgres" }, durationSeconds: 20, parameters: { latencyMs: 200, jitterMs: 20 } },
    { kind: "packet-loss", target: { role: "gateway", pick: "all" }, startAfterSeconds: 10, durationSeconds: 10, parameters: { probability: 0.05, network: "data" } },
    { kind: "network-partition", target: { role: "worker", pick: "first" }, peer: { role: "nats" }, durationSeconds: 5 },
  ],
  recoveryDeadlineSeconds: 45,
});

interface Row {
  what: string;
  /** One change to the base, or the file's whole text. */
  mutate: ((e: Json) => void) | { text: string };
  /** What the error must name after "<file>: ": a JSON path followed by ": got ...". */
  field: string;
  /** For rows whose file itself is wrong (not JSON, not .json): the message after "<file>: ". */
  message?: RegExp;
  ext?: string;
}

const row = (what: string, mutate: Row["mutate"], field: string): Row => ({ what, mutate, field });

const ROWS: Row[] = [
  // The file itself.
  { what: "not JSON", mutate: { text: "{ name: malformed-base" }, field: "(file)", message: /^not valid JSON/ },
  { what: "truncated JSON", mutate: { text: JSON.stringify(base()).slice(0, 40) }, field: "(file)", message: /^not valid JSON/ },
  { what: "YAML instead of JSON", mutate: { text: "name: malformed-base\n" }, field: "(file)", message: /^got a file that does not end in \.json/, ext: ".yaml" },
  row("a list at the top level", { text: "[]" }, "(top level)"),
  row("null at the top level", { text: "null" }, "(top level)"),
  // Top-level fields.
  row("unknown top-level key", (e) => (e.rollbacks = []), "rollbacks"),
  row("name missing", (e) => delete e.name, "name"),
  row("name not kebab-case", (e) => (e.name = "My_Experiment"), "name"),
  row("name a number", (e) => (e.name = 42), "name"),
  row("description empty", (e) => (e.description = ""), "description"),
  row("steadyState an object", (e) => (e.steadyState = { probe: "gateway-ready" }), "steadyState"),
  row("method missing", (e) => delete e.method, "method"),
  row("method empty", (e) => (e.method = []), "method"),
  row("recoveryDeadlineSeconds zero", (e) => (e.recoveryDeadlineSeconds = 0), "recoveryDeadlineSeconds"),
  row("recoveryDeadlineSeconds as text", (e) => (e.recoveryDeadlineSeconds = "45s"), "recoveryDeadlineSeconds"),
  // Probes.
  row("probe kind unknown", (e) => (e.steadyState[0] = { probe: "ping" }), "steadyState[0].probe"),
  row("probe a string", (e) => (e.steadyState[0] = "gateway-ready"), "steadyState[0]"),
  row("probe with an unknown key", (e) => (e.steadyState[0].timeout = 5), "steadyState[0].timeout"),
  row("consumer-lag max missing", (e) => delete e.steadyState[1].max, "steadyState[1].max"),
  row("consumer-lag max a fraction", (e) => (e.steadyState[1].max = 1.5), "steadyState[1].max"),
  row("consumer-lag stream without consumer", (e) => (e.steadyState[1].stream = "RECORDS"), "steadyState[1].consumer"),
  row("error-rate max above 1", (e) => (e.steadyState[2].max = 5), "steadyState[2].max"),
  row("error-rate windowSeconds above 600", (e) => (e.steadyState[2].windowSeconds = 3600), "steadyState[2].windowSeconds"),
  row("http port above 65535", (e) => (e.steadyState[3].port = 70_000), "steadyState[3].port"),
  row("http path without '/'", (e) => (e.steadyState[3].path = "healthz"), "steadyState[3].path"),
  row("http status out of range", (e) => (e.steadyState[3].status = 99), "steadyState[3].status"),
  row("http service not a name", (e) => (e.steadyState[3].service = "Gateway Service"), "steadyState[3].service"),
  // Faults.
  row("fault a string", (e) => (e.method[0] = "latency"), "method[0]"),
  row("fault kind unknown", (e) => (e.method[0].kind = "meteor-strike"), "method[0].kind"),
  row("fault kind missing", (e) => delete e.method[0].kind, "method[0].kind"),
  row("fault with an unknown key", (e) => (e.method[0].duration = 20), "method[0].duration"),
  row("durationSeconds missing", (e) => delete e.method[0].durationSeconds, "method[0].durationSeconds"),
  row("durationSeconds zero", (e) => (e.method[0].durationSeconds = 0), "method[0].durationSeconds"),
  row("durationSeconds above an hour", (e) => (e.method[0].durationSeconds = 86_400), "method[0].durationSeconds"),
  row("durationSeconds as text", (e) => (e.method[0].durationSeconds = "20"), "method[0].durationSeconds"),
  row("startAfterSeconds negative", (e) => (e.method[1].startAfterSeconds = -1), "method[1].startAfterSeconds"),
  // Targets.
  row("target missing", (e) => delete e.method[1].target, "method[1].target"),
  row("target of no known form", (e) => (e.method[1].target = { host: "gateway" }), "method[1].target"),
  row("target role not a name", (e) => (e.method[1].target = { role: "Gateway!" }), "method[1].target.role"),
  row("target pick out of range", (e) => (e.method[1].target.pick = 99), "method[1].target.pick"),
  row("target pick unknown word", (e) => (e.method[1].target.pick = "last"), "method[1].target.pick"),
  row("target with two forms", (e) => (e.method[1].target = { role: "gateway", container: "cp3-gateway" }), "method[1].target.container"),
  row("target network unknown", (e) => (e.method[1].target = { network: "public" }), "method[1].target.network"),
  row("target container not a name", (e) => (e.method[1].target = { container: "-bad name" }), "method[1].target.container"),
  row("link unknown", (e) => (e.method[0].target = { link: "redis" }), "method[0].target.link"),
  row("toxic on a role instead of a link", (e) => (e.method[0].target = { role: "postgres" }), "method[0].target"),
  row("container fault on a link", (e) => (e.method[1].target = { link: "nats" }), "method[1].target"),
  row("partition without peer", (e) => delete e.method[2].peer, "method[2].peer"),
  row("partition peer a link", (e) => (e.method[2].peer = { link: "nats" }), "method[2].peer"),
  row("peer on a fault that has none", (e) => (e.method[1].peer = { role: "nats" }), "method[1].peer"),
  // Parameters.
  row("parameters a list", (e) => (e.method[0].parameters = [200]), "method[0].parameters"),
  row("parameter unknown", (e) => (e.method[0].parameters.delayMs = 200), "method[0].parameters.delayMs"),
  row("parameter on a kind with none", (e) => (e.method[2].parameters = { probability: 0.5 }), "method[2].parameters.probability"),
  row("latencyMs zero", (e) => (e.method[0].parameters.latencyMs = 0), "method[0].parameters.latencyMs"),
  row("latencyMs a fraction", (e) => (e.method[0].parameters.latencyMs = 2.5), "method[0].parameters.latencyMs"),
  row("latency stream unknown", (e) => (e.method[0].parameters.stream = "both"), "method[0].parameters.stream"),
  row("probability zero (exclusive)", (e) => (e.method[1].parameters.probability = 0), "method[1].parameters.probability"),
  row("probability above 1", (e) => (e.method[1].parameters.probability = 5), "method[1].parameters.probability"),
  row("probability as a percentage text", (e) => (e.method[1].parameters.probability = "5%"), "method[1].parameters.probability"),
  row("network parameter unknown", (e) => (e.method[1].parameters.network = "host"), "method[1].parameters.network"),
  row("disk-fill mount not absolute", (e) => (e.method[1] = { kind: "disk-fill", target: { role: "nats" }, durationSeconds: 5, parameters: { mount: "data" } }), "method[1].parameters.mount"),
  row("cpu-stress workers above 16", (e) => (e.method[1] = { kind: "cpu-stress", target: { role: "gateway" }, durationSeconds: 5, parameters: { workers: 64 } }), "method[1].parameters.workers"),
  row("container-kill via unknown", (e) => (e.method[1] = { kind: "container-kill", target: { role: "worker" }, durationSeconds: 5, parameters: { via: "signal" } }), "method[1].parameters.via"),
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-malformed-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the row's file; returns its path. */
function fileOf(r: Row, i: number): string {
  const file = path.join(dir, `row-${i}${r.ext ?? ".json"}`);
  let text: string;
  if (typeof r.mutate === "function") {
    const e = base();
    r.mutate(e);
    text = JSON.stringify(e, null, 2);
  } else {
    text = r.mutate.text;
  }
  fs.writeFileSync(file, text);
  return file;
}

/** The error loadExperimentFile gives, with the file name cut off the front; undefined when it accepts the file. */
function refusal(r: Row, i: number): string | undefined {
  const file = fileOf(r, i);
  try {
    loadExperimentFile(file);
  } catch (err) {
    if (!(err instanceof ExperimentError)) throw err;
    expect(err.message.startsWith(`${file}: `), err.message).toBe(true);
    return err.message.slice(file.length + 2);
  }
  return undefined;
}

const names = (r: Row, message: string | undefined) => message !== undefined && (r.message ? r.message.test(message) : message.startsWith(`${r.field}: got `));

describe("malformed experiment files", () => {
  it("start from a base that loads", () => {
    const file = path.join(dir, "base.json");
    fs.writeFileSync(file, JSON.stringify(base()));
    expect(loadExperimentFile(file).method).toHaveLength(3);
  });

  it.each(ROWS.map((r, i) => [r.what, r, i] as const))("refuses %s, naming the field and what it got", (_what, r, i) => {
    const message = refusal(r, i);
    expect(message, "accepted").toBeDefined();
    if (r.message) expect(message).toMatch(r.message);
    else expect(message).toMatch(new RegExp(`^${r.field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: got .+; allowed: .+`));
  });

  it(`are at least 30 (${ROWS.length}), each refused with the field named`, () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(ROWS.map((r) => r.what)).size).toBe(ROWS.length);
    const refused = ROWS.filter((r, i) => names(r, refusal(r, i)));
    expect(refused.map((r) => r.what)).toEqual(ROWS.map((r) => r.what));
  });
});
