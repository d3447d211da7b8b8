// Where a stack operation spends its time, from Pulumi's own engine events and the engine's own container events:
// each resource step's span, the critical path through the dependency graph (the chain of steps, each waiting on
// the one before it, that ends with the last step), the time before the first step (CLI, plugins, program, policy
// pack) and after the last, and for each container the split between creating it, its health check and the
// provider noticing it. Engine events carry whole seconds only, so each is timed when it reaches us (the
// Automation API tails the event log every 200 ms at most).
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import * as docker from "../lib/docker-api";

export interface StepSpan {
  urn: string;
  type: string;
  name: string;
  op: string;
  /** Seconds since the operation was started. */
  start: number;
  end: number;
}

/** A container's own timeline, from the engine's events, in seconds since the operation was started. */
export interface ContainerTimes {
  started?: number;
  healthy?: number;
  exited?: number;
}

/** Collects step spans from an operation's engine events; give `onEvent` to `stack.up`/`stack.destroy`. */
export class StepRecorder {
  readonly startedAtMs = Date.now();
  private readonly t0 = performance.now();
  private readonly open = new Map<string, { span: StepSpan }>();
  readonly spans: StepSpan[] = [];
  finishedAt = 0;

  readonly onEvent = (event: EngineEvent): void => {
    const now = (performance.now() - this.t0) / 1000;
    const pre = event.resourcePreEvent?.metadata;
    const done = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
    // Components and the stack only group their children, and providers only load: neither does work of its own.
    // "replace" is the logical step around create-replacement and delete-replaced.
    const custom = pre && (pre.new ?? pre.old)?.custom === true && !pre.type.startsWith("pulumi:providers:");
    if (pre && custom && !["read", "replace", "refresh"].includes(pre.op)) {
      const name = pre.urn.split("::").pop() ?? pre.urn;
      this.open.set(`${pre.op} ${pre.urn}`, { span: { urn: pre.urn, type: pre.type, name, op: pre.op, start: now, end: now } });
    } else if (done) {
      const key = `${done.op} ${done.urn}`;
      const entry = this.open.get(key);
      if (entry) {
        entry.span.end = now;
        this.spans.push(entry.span);
        this.open.delete(key);
      }
    }
    if (event.summaryEvent) this.finishedAt = now;
  };

  /** Marks the end of the whole operation (the Automation API call returned). */
  finish(): void {
    this.finishedAt = (performance.now() - this.t0) / 1000;
  }

  /** Container starts, health and exits of the stack's containers during the operation, by container name. */
  async containerTimes(stack: string): Promise<Map<string, ContainerTimes>> {
    // Up to the operation's end only: a destroy after an up would add its own exits.
    const until = this.finishedAt > 0 ? this.startedAtMs + this.finishedAt * 1000 + 500 : Date.now();
    const events = await docker.events(this.startedAtMs - 1000, Math.min(until, Date.now()), { type: ["container"], label: [`cp3.stack=${stack}`] });
    const times = new Map<string, ContainerTimes>();
    for (const e of events) {
      const name = e.Actor.Attributes.name ?? "";
      const t = (e.timeNano / 1e6 - this.startedAtMs) / 1000;
      const entry = times.get(name) ?? {};
      if (e.Action === "start") Object.assign(entry, { started: t, healthy: undefined, exited: undefined });
      else if (e.Action === "health_status: healthy" && entry.healthy === undefined) entry.healthy = t;
      else if (e.Action === "die" && entry.exited === undefined) entry.exited = t;
      times.set(name, entry);
    }
    return times;
  }
}

export interface PathStep {
  span: StepSpan;
  /** Seconds between the step it waited on ending (or the first step starting) and this step starting. */
  gapBefore: number;
}

export interface CriticalPath {
  total: number;
  /** Before the first step: the CLI, plugins, the program and the policy pack starting. */
  startup: number;
  steps: PathStep[];
  /** After the last step: outputs, the policy pack's stack checks, the state written. */
  tail: number;
}

/**
 * The critical path: from the step that ended last, back through the step each waited on: of the steps of its
 * neighbours in the graph (what it depends on, for a create; what depends on it, for a delete; both for the
 * halves of a replacement, and its own other steps), the one that ended last before it started.
 * `dependsOn` maps a URN to the URNs it depends on (its dependencies and its parent), from the stack's state.
 */
export function criticalPath(spans: StepSpan[], dependsOn: Map<string, string[]>, total: number): CriticalPath {
  if (spans.length === 0) return { total, startup: total, steps: [], tail: 0 };
  const dependents = new Map<string, string[]>();
  for (const [urn, deps] of dependsOn) for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), urn]);
  const byUrn = new Map<string, StepSpan[]>();
  for (const s of spans) byUrn.set(s.urn, [...(byUrn.get(s.urn) ?? []), s]);
  const blockersOf = (s: StepSpan) =>
    s.op === "delete" ? (dependents.get(s.urn) ?? []) : s.op === "create" ? (dependsOn.get(s.urn) ?? []) : [...(dependsOn.get(s.urn) ?? []), ...(dependents.get(s.urn) ?? [])];
  const first = Math.min(...spans.map((s) => s.start));
  const chain: StepSpan[] = [];
  let current: StepSpan | undefined = spans.reduce((a, b) => (b.end > a.end ? b : a));
  while (current) {
    chain.unshift(current);
    const start: number = current.start;
    const candidates: StepSpan[] = [...blockersOf(current).flatMap((u) => byUrn.get(u) ?? []), ...(byUrn.get(current.urn) ?? []).filter((s) => s !== current)];
    current = candidates.filter((s) => s.end <= start + 0.25 && !chain.includes(s)).sort((a, b) => b.end - a.end)[0];
  }
  const steps = chain.map((span, i) => ({ span, gapBefore: Math.max(0, span.start - (i === 0 ? first : chain[i - 1]!.end)) }));
  const last = chain.at(-1)!;
  return { total, startup: first, steps, tail: Math.max(0, total - last.end) };
}

export interface StackGraph {
  /** URN → the URNs it depends on (its dependencies and its parent). */
  dependsOn: Map<string, string[]>;
  /** URN of a docker container → the container's name. */
  containerNames: Map<string, string>;
}

interface DeployedResource {
  urn: string;
  type: string;
  parent?: string;
  dependencies?: string[];
  outputs?: Record<string, unknown>;
}

/** The graph of the stack's resources as its state holds them now (after an up; before a destroy). */
export async function stackGraph(stack: Stack): Promise<StackGraph> {
  const state = await stack.exportStack();
  const resources = ((state.deployment as { resources?: DeployedResource[] }).resources ?? []);
  return {
    dependsOn: new Map(resources.map((r) => [r.urn, [...(r.dependencies ?? []), ...(r.parent ? [r.parent] : [])]])),
    containerNames: new Map(resources.filter((r) => r.type === "docker:index/container:Container" && typeof r.outputs?.name === "string").map((r) => [r.urn, r.outputs!.name as string])),
  };
}

/** An operation's critical path, formatted, with its containers' own timeline. */
export async function profileOf(title: string, recorder: StepRecorder, graph: StackGraph, stack: string): Promise<string[]> {
  const path = criticalPath(recorder.spans, graph.dependsOn, recorder.finishedAt);
  const containers = await recorder.containerTimes(stack);
  return formatCriticalPath(title, path, containers, (urn) => graph.containerNames.get(urn));
}

const f1 = (s: number) => `${s.toFixed(1).padStart(5)} s`;

/** The critical path as lines, each container step split into create+start, health check and the provider noticing. */
export function formatCriticalPath(title: string, path: CriticalPath, containers: Map<string, ContainerTimes>, containerNameOf: (urn: string) => string | undefined): string[] {
  const lines = [`${title}: ${path.total.toFixed(1)} s`, `  ${f1(0)}  ${f1(path.startup)}  start-up (CLI, plugins, program, policy pack)`];
  let waits = path.startup;
  for (const { span, gapBefore } of path.steps) {
    waits += gapBefore;
    const gap = gapBefore >= 0.05 ? ` (+${gapBefore.toFixed(1)} s after the step before)` : "";
    lines.push(`  ${f1(span.start)}  ${f1(span.end - span.start)}  ${span.op} ${span.type} ${span.name}${gap}`);
    const name = containerNameOf(span.urn);
    const t = name === undefined ? undefined : containers.get(name);
    if (t?.started !== undefined && !span.op.startsWith("delete")) {
      const parts = [`created and started in ${(t.started - span.start).toFixed(1)} s`];
      if (t.healthy !== undefined) parts.push(`healthy ${(t.healthy - t.started).toFixed(1)} s after start`, `seen healthy ${(span.end - t.healthy).toFixed(1)} s later`);
      if (t.exited !== undefined) parts.push(`exited ${(t.exited - t.started).toFixed(1)} s after start`, `seen ${(span.end - t.exited).toFixed(1)} s later`);
      lines.push(`  ${" ".repeat(16)}  ${parts.join(", ")}`);
    }
  }
  lines.push(`  ${f1(path.total - path.tail)}  ${f1(path.tail)}  finish (outputs, policy checks, state)`);
  const inSteps = path.steps.reduce((a, s) => a + (s.span.end - s.span.start), 0);
  lines.push(`  on the critical path: ${inSteps.toFixed(1)} s in resource steps, ${(waits + path.tail).toFixed(1)} s in the engine and the language host around them`);
  return lines;
}

/** One image build of the operation, from its BuildKit log: which steps ran and which the cache answered. */
export interface BuildSummary {
  image: string;
  ran: { step: string; seconds: number }[];
  cached: string[];
  /** The build context sent to the engine, as BuildKit reports it ("15.02kB"). */
  context?: string;
}

/** The builds an update made (each image's log in `dir` holds that update's build only). */
export function buildsIn(dir: string): BuildSummary[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort().map((f) => {
    const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n");
    const titles = new Map<string, string>();
    const summary: BuildSummary = { image: f.replace(/\.log$/, ""), ran: [], cached: [] };
    for (const line of lines) {
      const m = /^(#\d+) (.*)$/.exec(line);
      if (!m) continue;
      const [, id, rest] = m as unknown as [string, string, string];
      if (!titles.has(id)) titles.set(id, rest);
      const title = titles.get(id)!;
      // Only the Dockerfile's own steps ("[2/2] COPY …"): not BuildKit's internal ones, nor FROM (resolved, not run).
      if (!/^\[(?!internal)/.test(title) || /^\[[^\]]*\] FROM /.test(title)) {
        const context = /^transferring context: ([0-9.]+[kMG]?B)/.exec(rest)?.[1];
        if (context && title.includes("load build context")) summary.context = context;
        continue;
      }
      if (rest === "CACHED") summary.cached.push(title);
      const done = /^DONE ([0-9.]+)s$/.exec(rest)?.[1];
      if (done !== undefined && !summary.cached.includes(title)) summary.ran.push({ step: title, seconds: Number(done) });
    }
    return summary;
  });
}

export function formatBuilds(builds: BuildSummary[]): string[] {
  return builds.map((b) => {
    const ran = b.ran.length === 0 ? "nothing ran" : `ran ${b.ran.map((r) => `${r.step} (${r.seconds.toFixed(1)} s)`).join("; ")}`;
    return `  image ${b.image}: ${ran}; ${b.cached.length} step(s) from the cache${b.context ? `; context ${b.context}` : ""}`;
  });
}
