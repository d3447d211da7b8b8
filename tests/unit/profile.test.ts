// lifecycle/profile: the critical path of a stack operation from its step spans and the dependency graph, and
// what an image build ran or took from the cache, from BuildKit's own log.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildsIn, criticalPath, formatCriticalPath, StepRecorder, type StepSpan } from "../../lifecycle/profile";

const span = (name: string, op: string, start: number, end: number): StepSpan => ({ urn: `urn:${name}`, type: "docker:index/container:Container", name, op, start, end });

describe("criticalPath", () => {
  // image -> postgres -> migration -> worker, with nats beside postgres (done sooner) and a network beside the image.
  const spans = [
    span("image", "create", 2, 3),
    span("network", "create", 2, 2.5),
    span("postgres", "create", 3.1, 6),
    span("nats", "create", 3.1, 5),
    span("migration", "create", 6.5, 7.5),
    span("worker", "create", 7.6, 10),
  ];
  const dependsOn = new Map([
    ["urn:postgres", ["urn:image", "urn:network"]],
    ["urn:nats", ["urn:image", "urn:network"]],
    ["urn:migration", ["urn:postgres"]],
    ["urn:worker", ["urn:migration", "urn:nats"]],
  ]);

  it("follows, from the step that ended last, the blocker of each step that ended last", () => {
    const p = criticalPath(spans, dependsOn, 11.5);
    expect(p.steps.map((s) => s.span.name)).toEqual(["image", "postgres", "migration", "worker"]);
    expect(p.startup).toBe(2);
    expect(p.tail).toBeCloseTo(1.5);
    expect(p.steps.map((s) => Number(s.gapBefore.toFixed(2)))).toEqual([0, 0.1, 0.5, 0.1]);
  });

  it("walks a destroy the other way: a resource is deleted after what depends on it", () => {
    const deletes = [span("worker", "delete", 1, 1.5), span("migration", "delete", 1, 1.2), span("postgres", "delete", 1.6, 2.4), span("network", "delete", 2.5, 3)];
    const graph = new Map([
      ["urn:worker", ["urn:network"]],
      ["urn:migration", ["urn:postgres"]],
      ["urn:postgres", ["urn:network"]],
    ]);
    expect(criticalPath(deletes, graph, 3.2).steps.map((s) => s.span.name)).toEqual(["migration", "postgres", "network"]);
  });

  it("gives the whole operation as start-up when no step did anything", () => {
    expect(criticalPath([], dependsOn, 4)).toEqual({ total: 4, startup: 4, steps: [], tail: 0 });
  });

  it("splits a container's step into create, health check and the provider noticing", () => {
    const p = criticalPath([span("worker", "create", 1, 4.5)], new Map(), 5);
    const lines = formatCriticalPath("up", p, new Map([["cp3-x-worker", { started: 1.5, healthy: 3.7 }]]), () => "cp3-x-worker");
    expect(lines.join("\n")).toContain("created and started in 0.5 s, healthy 2.2 s after start, seen healthy 0.8 s later");
  });
});

describe("StepRecorder", () => {
  it("times a step from its pre-event to its outputs and leaves out components, providers and the replace wrapper", () => {
    const r = new StepRecorder();
    const meta = (op: string, type: string, custom: boolean) => ({ metadata: { op, urn: `urn:${type}`, type, provider: "", new: { custom, type, urn: `urn:${type}` } } });
    for (const [op, type, custom] of [
      ["create", "docker:index/container:Container", true],
      ["create", "cp3:services:Service", false],
      ["create", "pulumi:providers:docker", true],
      ["replace", "docker:index/network:Network", true],
    ] as const) {
      r.onEvent({ sequence: 0, timestamp: 0, resourcePreEvent: meta(op, type, custom) } as never);
      r.onEvent({ sequence: 0, timestamp: 0, resOutputsEvent: meta(op, type, custom) } as never);
    }
    expect(r.spans.map((s) => `${s.op} ${s.type}`)).toEqual(["create docker:index/container:Container"]);
  });
});

describe("buildsIn", () => {
  it("reads which Dockerfile steps ran, which came from the cache, and the context sent", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-builds-"));
    try {
      fs.writeFileSync(
        path.join(dir, "flow-worker.log"),
        [
          "#1 [internal] load build definition from Dockerfile",
          "#1 DONE 0.0s",
          "#4 [1/3] FROM docker.io/cp3/base:5c57",
          "#4 DONE 0.0s",
          "#5 [internal] load build context",
          "#5 transferring context: 15.02kB done",
          "#5 DONE 0.0s",
          "#6 [2/3] RUN true",
          "#6 CACHED",
          "#7 [3/3] COPY code /app/flows/worker",
          "#7 DONE 0.3s",
        ].join("\n"),
      );
      expect(buildsIn(dir)).toEqual([{ image: "flow-worker", ran: [{ step: "[3/3] COPY code /app/flows/worker", seconds: 0.3 }], cached: ["[2/3] RUN true"], context: "15.02kB" }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
