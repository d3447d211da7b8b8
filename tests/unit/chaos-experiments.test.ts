// The experiment format: built-ins are valid, files are checked field by field, and every error names the
// field, what it got and what is allowed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { builtInExperiments, ExperimentError, findExperiment, loadExperimentFile, validateExperiment, withDuration } from "../../chaos";
import { KINDS, platformsOf } from "../../chaos/parameters";
import { FAULT_KINDS } from "../../chaos/types";

const valid = () => ({
  name: "my-test",
  description: "a test",
  steadyState: [{ probe: "gateway-ready" }],
  method: [{ kind: "packet-loss", target: { network: "data" }, durationSeconds: 5, parameters: { probability: 0.3 } }],
});

const errorOf = (raw: unknown) => {
  try {
    validateExperiment(raw, "x.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ExperimentError);
    return (err as Error).message;
  }
  throw new Error("no error");
};

describe("built-in experiments", () => {
  it("are the CLI's sixteen kebab-case names (twelve for Docker, three of them for the NATS cluster; four for Kubernetes), each valid with a method and a steady state", () => {
    const all = builtInExperiments();
    expect(all.map((e) => e.name)).toEqual([
      "nats-restart",
      "worker-kill",
      "postgres-restart",
      "worker-nats-partition",
      "data-packet-loss",
      "postgres-latency",
      "jetstream-store-full",
      "gateway-cpu-starvation",
      "nats-link-reset",
      "nats-kill-one",
      "nats-kill-two",
      "nats-kill-all",
      "worker-pod-delete",
      "worker-evict",
      "worker-scale-to-zero",
      "worker-nats-pod-partition",
    ]);
    for (const e of all) {
      expect(e.name).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(e.method.length).toBeGreaterThan(0);
      expect(e.steadyState.map((p) => p.probe)).toEqual(["gateway-ready", "consumer-lag", "error-rate"]);
      // Modest durations, so a smoke run of a minute or two can hold some of them.
      for (const f of e.method) expect(f.durationSeconds).toBeLessThanOrEqual(30);
    }
  });

  it("have the faults their names promise, with defaults filled in", () => {
    expect(findExperiment("worker-nats-partition").method[0]).toMatchObject({ kind: "network-partition", durationSeconds: 30, peer: { role: "nats", pick: "all" } });
    expect(findExperiment("data-packet-loss").method[0]).toMatchObject({ kind: "packet-loss", target: { network: "data" }, parameters: { probability: 0.2, network: "data" } });
    expect(findExperiment("postgres-latency").method[0]).toMatchObject({ kind: "latency", target: { link: "postgres" }, parameters: { latencyMs: 500, stream: "downstream" } });
    expect(findExperiment("worker-kill").method[0]).toMatchObject({ kind: "container-kill", target: { role: "worker", pick: "first" }, parameters: { via: "process" } });
    expect(findExperiment("jetstream-store-full").method[0]).toMatchObject({ kind: "disk-fill", parameters: { percent: 99, maxMiB: 1024 } });
  });

  it("an unknown name is refused with the list of valid names", () => {
    expect(() => findExperiment("nats-kill")).toThrow('unknown experiment "nats-kill": the built-in experiments are nats-restart, worker-kill, postgres-restart, worker-nats-partition, data-packet-loss, postgres-latency, jetstream-store-full, gateway-cpu-starvation');
  });

  it("withDuration holds every fault for the given time and refuses nonsense", () => {
    expect(withDuration(findExperiment("postgres-latency"), 5).method.map((f) => f.durationSeconds)).toEqual([5]);
    expect(() => withDuration(findExperiment("postgres-latency"), 0)).toThrow("duration: got 0; allowed: a number of seconds from 1 to 3600");
    expect(() => withDuration(findExperiment("postgres-latency"), Number("abc"))).toThrow("duration: got NaN");
  });

  it("every fault kind has a parameter table", () => {
    for (const k of FAULT_KINDS) expect(KINDS[k]).toBeDefined();
  });
});

describe("experiment validation", () => {
  it("accepts a valid experiment and fills defaults", () => {
    const e = validateExperiment(valid(), "x.json");
    expect(e.recoveryDeadlineSeconds).toBe(60);
    expect(e.method[0]).toEqual({ kind: "packet-loss", target: { network: "data" }, startAfterSeconds: 0, durationSeconds: 5, parameters: { probability: 0.3, network: "data" } });
  });

  it.each([
    ["a bad name", { ...valid(), name: "My Test" }, "x.json: name: got \"My Test\"; allowed: kebab-case"],
    ["an unknown key", { ...valid(), steps: [] }, "x.json: steps: got []; allowed: no such key; the keys are name, description, steadyState, method, recoveryDeadlineSeconds"],
    ["an empty method", { ...valid(), method: [] }, "x.json: method: got []; allowed: a non-empty array"],
    ["an unknown kind", { ...valid(), method: [{ kind: "kil", target: { role: "worker" }, durationSeconds: 5 }] }, 'x.json: method[0].kind: got "kil"; allowed: "container-kill", "container-stop"'],
    ["a role that is no role name", { ...valid(), method: [{ kind: "container-kill", target: { role: "DB!" }, durationSeconds: 5 }] }, "x.json: method[0].target.role: got \"DB!\"; allowed: a role name: nats, postgres, toxiproxy, or a service's name or role"],
    ["a bad pick", { ...valid(), method: [{ kind: "container-kill", target: { role: "worker", pick: "some" }, durationSeconds: 5 }] }, 'x.json: method[0].target.pick: got "some"; allowed: "all", "first" or an index from 0 to 15'],
    ["a probability above 1", { ...valid(), method: [{ kind: "packet-loss", target: { network: "data" }, durationSeconds: 5, parameters: { probability: 1.5 } }] }, "x.json: method[0].parameters.probability: got 1.5; allowed: a number from 0 (exclusive) to 1 (share of egress packets dropped)"],
    ["a probability of 0", { ...valid(), method: [{ kind: "packet-loss", target: { network: "data" }, durationSeconds: 5, parameters: { probability: 0 } }] }, "method[0].parameters.probability: got 0; allowed: a number from 0 (exclusive) to 1"],
    ["an unknown parameter", { ...valid(), method: [{ kind: "latency", target: { link: "nats" }, durationSeconds: 5, parameters: { delay: 5 } }] }, "x.json: method[0].parameters.delay: got 5; allowed: no such parameter for latency; its parameters are latencyMs, jitterMs, stream"],
    ["a toxic on containers", { ...valid(), method: [{ kind: "latency", target: { role: "postgres" }, durationSeconds: 5 }] }, 'x.json: method[0].target: got {"role":"postgres"}; allowed: {"link": "nats" | "postgres"} (latency is a Toxiproxy toxic)'],
    ["a kill on a link", { ...valid(), method: [{ kind: "container-kill", target: { link: "nats" }, durationSeconds: 5 }] }, "x.json: method[0].target: got {\"link\":\"nats\"}; allowed: a role, container or network (container-kill acts on containers)"],
    ["a partition without a peer", { ...valid(), method: [{ kind: "network-partition", target: { role: "worker" }, durationSeconds: 5 }] }, 'x.json: method[0].peer: got nothing; allowed: one of {"role", "pick"?}, {"container"}, {"network"}, {"link"}'],
    ["a peer on a kill", { ...valid(), method: [{ kind: "container-kill", target: { role: "worker" }, peer: { role: "nats" }, durationSeconds: 5 }] }, "x.json: method[0].peer: got {\"role\":\"nats\"}; allowed: nothing: only network-partition has a peer"],
    ["no duration", { ...valid(), method: [{ kind: "container-pause", target: { role: "worker" } }] }, "x.json: method[0].durationSeconds: got nothing; allowed: a number from 1 to 3600"],
    ["a day-long duration", { ...valid(), method: [{ kind: "container-pause", target: { role: "worker" }, durationSeconds: 86400 }] }, "x.json: method[0].durationSeconds: got 86400; allowed: a number from 1 to 3600"],
    ["a bad probe", { ...valid(), steadyState: [{ probe: "latency" }] }, 'x.json: steadyState[0].probe: got "latency"; allowed: "gateway-ready", "consumer-lag", "error-rate", "http"'],
    ["an http probe without a port", { ...valid(), steadyState: [{ probe: "http", service: "orders-api", path: "/readyz" }] }, "x.json: steadyState[0].port: got nothing; allowed: an integer from 1 to 65535"],
    ["a consumer without its stream", { ...valid(), steadyState: [{ probe: "consumer-lag", max: 10, consumer: "fulfil" }] }, "x.json: steadyState[0].stream: got nothing; allowed: a stream name (with consumer)"],
    ["a lag bound that is not an integer", { ...valid(), steadyState: [{ probe: "consumer-lag", max: 1.5 }] }, "x.json: steadyState[0].max: got 1.5; allowed: an integer from 0 to 1000000000"],
    ["an error rate above 1", { ...valid(), steadyState: [{ probe: "error-rate", max: 5 }] }, "x.json: steadyState[0].max: got 5; allowed: a number from 0 to 1"],
    ["a disk fill mount that is not a path", { ...valid(), method: [{ kind: "disk-fill", target: { role: "nats" }, durationSeconds: 5, parameters: { mount: "data; rm -rf /" } }] }, 'x.json: method[0].parameters.mount: got "data; rm -rf /"; allowed: a string matching'],
  ])("refuses %s, naming the field, the value and what is allowed", (_what, raw, expected) => {
    expect(errorOf(raw)).toContain(expected);
  });

  it("takes probes of any described service and consumer, with defaults filled in", () => {
    const e = validateExperiment({ ...valid(), steadyState: [{ probe: "http", service: "orders-api", port: 8000, path: "/readyz" }, { probe: "consumer-lag", max: 50, stream: "ORDERS", consumer: "fulfil" }] }, "x.json");
    expect(e.steadyState).toEqual([
      { probe: "http", service: "orders-api", port: 8000, path: "/readyz", status: 200, maxLatencyMs: 2000 },
      { probe: "consumer-lag", max: 50, stream: "ORDERS", consumer: "fulfil" },
    ]);
  });

  it("refuses something that is not an object", () => {
    expect(errorOf([1, 2])).toBe("x.json: (top level): got [1,2]; allowed: an object");
  });
});

describe("experiment files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-chaos-"));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it("loads the example files shipped in chaos/examples", () => {
    const examples = path.join(__dirname, "..", "..", "chaos", "examples");
    const files = fs.readdirSync(examples).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(loadExperimentFile(path.join(examples, f)).name).toBe(f.replace(/\.json$/, ""));
  });

  it("loads a valid JSON file", () => {
    expect(loadExperimentFile(write("ok.json", JSON.stringify(valid()))).name).toBe("my-test");
  });

  it("says what is wrong with a file: not JSON, unreadable, YAML, invalid", () => {
    expect(() => loadExperimentFile(write("bad.json", "{ name: x"))).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadExperimentFile(path.join(dir, "missing.json"))).toThrow(/missing\.json: cannot be read \(ENOENT\)/);
    expect(() => loadExperimentFile(write("e.yaml", "name: x"))).toThrow(/e\.yaml: got a file that does not end in \.json; allowed: a JSON file \(YAML is not supported\)/);
    expect(() => loadExperimentFile(write("v.json", JSON.stringify({ ...valid(), recoveryDeadlineSeconds: -1 })))).toThrow(/v\.json: recoveryDeadlineSeconds: got -1; allowed: a number from 1 to 3600/);
  });
});

describe("fault kinds and platforms", () => {
  it("runs container and network faults on Docker, pod faults on Kubernetes, Toxiproxy toxics on both", () => {
    expect(platformsOf("container-kill")).toEqual(["docker"]);
    expect(platformsOf("network-partition")).toEqual(["docker"]);
    expect(platformsOf("pod-delete")).toEqual(["kubernetes"]);
    expect(platformsOf("pod-partition")).toEqual(["kubernetes"]);
    expect(platformsOf("latency")).toEqual(["docker", "kubernetes"]);
  });

  it("needs a peer for a pod partition, and gives pod-delete a zero grace by default", () => {
    expect(() => validateExperiment({ name: "x", description: "d", steadyState: [], method: [{ kind: "pod-partition", target: { role: "worker", pick: "all" }, durationSeconds: 10 }] }, "file")).toThrow(/peer/);
    const e = validateExperiment({ name: "x", description: "d", steadyState: [], method: [{ kind: "pod-delete", target: { role: "worker", pick: "first" }, durationSeconds: 10 }] }, "file");
    expect(e.method[0]!.parameters).toEqual({ graceSeconds: 0 });
  });
});
