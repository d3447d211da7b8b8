import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { templateFile } from "../../lib/stack-files";
import { ConfigError, parseConfig, type StackKind } from "../../stacks/config";

const obj = (v: unknown) => JSON.stringify(v);

function problems(all: Record<string, string>, stack = "ci"): string[] {
  try {
    parseConfig(all, stack);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** A stack template's config, in the flat "ns:key" -> text form Pulumi hands to a program. */
function stackTemplate(kind: StackKind): Record<string, string> {
  const text = fs.readFileSync(templateFile(kind), "utf8");
  const out: Record<string, string> = {};
  // The files are simple: top-level keys with scalar values or one level of nested mappings.
  let current: string | undefined;
  let nested: Record<string, unknown> = {};
  const flush = () => {
    if (current) out[current] = obj(nested);
    current = undefined;
    nested = {};
  };
  for (const line of text.split("\n")) {
    const top = /^ {2}(cp3:\w+):\s*(.*)$/.exec(line);
    const inner = /^ {4}(\w+):\s*(.*)$/.exec(line);
    if (top) {
      flush();
      if (top[2] === "") current = top[1];
      else out[top[1]!] = top[2]!;
    } else if (inner && current) {
      nested[inner[1]!] = JSON.parse(inner[2]!.replace(/^([A-Za-z][\w-]*)$/, '"$1"'));
    }
  }
  flush();
  return out;
}

describe("parseConfig", () => {
  it("applies defaults for what a stack leaves out", () => {
    const c = parseConfig({ "cp3:kind": "ci" }, "ci-x1");
    expect(c.kind).toBe("ci");
    expect(c.run).toBe("ci-x1");
    expect(c.nats).toEqual({ replicas: 1, storeMiB: 256, memoryMiB: 512, cpus: 1 });
    expect(c.postgres.storage).toBe("tmpfs");
    expect(c.worker).toMatchObject({ replicas: 2, concurrency: 32, cpuRounds: 100 });
    expect(c.gateway.reconcileAfterSeconds).toBe(60);
    expect(c.jetstream.discard).toBe("new");
    expect(c.chaos.proxy).toBe(true);
  });

  it.each(["ci", "dev", "staging"] as const)("accepts the template stacks/templates/Pulumi.%s.yaml", (kind) => {
    expect(problems(stackTemplate(kind), kind)).toEqual([]);
  });

  it("says where the settings come from when a stack file has none (pulumi ran before cp3 generated it)", () => {
    expect(problems({ "other:key": "x" }, "dev")).toEqual([
      'cp3:kind: got nothing (the stack file of "dev" has no cp3: settings at all); allowed: ci, dev, staging, with the settings cp3 generates from stacks/templates/Pulumi.<kind>.yaml: run `eval "$(npm run -s cp3 -- setup --env)"` (or any cp3 verb), then pulumi again',
    ]);
  });

  it("keeps a zero it was given instead of replacing it with a default", () => {
    expect(problems({ "cp3:kind": "ci", "cp3:nats": obj({ cpus: 0 }) })).toEqual(["cp3:nats.cpus: got 0; allowed: a number from 0.05 to 64"]);
  });

  it("reports every bad key at once, with what it got and what is allowed", () => {
    expect(
      problems({
        "cp3:kind": "prod",
        "cp3:colour": "blue",
        "cp3:expires": "tomorrow",
        "cp3:nats": obj({ storeMiB: "lots", memoryMiB: 100, replicas: 2, zones: 3 }),
        "cp3:jetstream": obj({ discard: "oldest", subjects: [] }),
        "cp3:worker": "many",
        "other:key": "ignored",
      }),
    ).toEqual([
      "cp3:colour: unknown key; allowed keys: cp3:kind, cp3:run, cp3:expires, cp3:system, cp3:platform, cp3:nats, cp3:jetstream, cp3:postgres, cp3:toxiproxy, cp3:chaos, cp3:tls, cp3:observability, cp3:gateway, cp3:worker, cp3:images, cp3:build, cp3:verify, cp3:dev",
      'cp3:kind: got "prod"; allowed: ci, dev, staging (required)',
      'cp3:expires: got "tomorrow"; allowed: an ISO 8601 time such as 2026-11-24T12:00:00Z, or empty',
      "cp3:nats.zones: unknown key; allowed keys: replicas, storeMiB, memoryMiB, cpus",
      'cp3:nats.storeMiB: got "lots"; allowed: an integer from 16 to 65536',
      "cp3:jetstream.subjects: got []; allowed: a non-empty list of NATS subjects",
      'cp3:jetstream.discard: got "oldest"; allowed: new, old',
      'cp3:worker: got "many"; allowed: an object',
      "cp3:nats.memoryMiB: got 100; allowed: at least nats.storeMiB + 64 (320), since the tmpfs store counts against the memory limit",
      "cp3:nats.replicas: got 2; allowed: 1 or 3 (a JetStream cluster needs a majority)",
    ]);
  });

  it("keeps ci stacks ephemeral and side-by-side safe", () => {
    expect(problems({ "cp3:kind": "ci", "cp3:gateway": obj({ hostPort: 8080 }) })).toEqual([
      "cp3:gateway.hostPort: got 8080; allowed: 0 on the ci stack, so stacks side by side never collide (ci-<run> stacks get a free port each)",
    ]);
    expect(problems({ "cp3:kind": "ci", "cp3:gateway": obj({ hostPort: 41343 }) }, "ci-r1")).toEqual([]);
    // A ci stack may keep PostgreSQL on a volume (removed with the stack), so that a restart keeps its data.
    expect(problems({ "cp3:kind": "ci", "cp3:postgres": obj({ storage: "volume" }) })).toEqual([]);
  });

  it("takes a rotated PostgreSQL password and never echoes a bad one", () => {
    expect(problems({ "cp3:kind": "ci", "cp3:postgres": obj({ password: "A".repeat(32) }) })).toEqual([]);
    expect(problems({ "cp3:kind": "ci", "cp3:postgres": obj({ password: "short pass'word" }) })).toEqual([
      "cp3:postgres.password: got a secret of 15 characters; allowed: 24 to 128 letters, digits, '_' or '-' (set it with `cp3 rotate-secret`), or empty",
    ]);
  });

  it("allows hot reload only on dev stacks", () => {
    expect(problems({ "cp3:kind": "staging", "cp3:dev": obj({ hotReload: true }) })).toEqual(["cp3:dev.hotReload: got true; allowed: only on dev stacks (this is staging)"]);
  });

  it("runs on Docker unless a stack says Kubernetes, and names a platform it does not know", () => {
    expect(parseConfig({ "cp3:kind": "ci" }, "ci").platform).toBe("docker");
    expect(parseConfig({ "cp3:kind": "ci", "cp3:platform": "kubernetes" }, "k8s-ci-r1").platform).toBe("kubernetes");
    expect(problems({ "cp3:kind": "ci", "cp3:platform": "nomad" })).toEqual(["cp3:platform: got \"nomad\"; allowed: docker, kubernetes"]);
    expect(problems({ "cp3:kind": "dev", "cp3:platform": "kubernetes", "cp3:dev": obj({ hotReload: true }) }, "dev")).toEqual([
      "cp3:dev.hotReload: got true; allowed: false on Kubernetes (hot reload bind-mounts host folders, which Pod Security restricted refuses)",
    ]);
  });

  it("accepts numbers given as strings, the way `pulumi config set` stores them", () => {
    expect(parseConfig({ "cp3:kind": "ci", "cp3:nats": obj({ storeMiB: "300", memoryMiB: "400" }) }, "ci").nats.storeMiB).toBe(300);
  });
});
