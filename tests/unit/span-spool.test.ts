// The span spool (workload/core/span-spool.ts) on real processes and files: a flow that ends its spans while
// its exporter cannot reach anything is killed with SIGKILL, and the next process on the same directory exports
// every one of them, whole; a span still running at the kill comes out unfinished; a spool whose exporter works
// leaves no segment behind; one whose exporter is away keeps only the newest spans within its bound.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SpanSpool } from "../../workload/core/span-spool.ts";
import { createTracing, tracingResource } from "../../workload/core/tracing.ts";

const root = path.resolve(__dirname, "../..");
type Exported = Parameters<SpanSpool["onEnd"]>[0];
type Exporter = ConstructorParameters<typeof SpanSpool>[0]["exporter"];

/** An exporter that keeps what it is given, or refuses everything while `refusing`. */
function collector() {
  const spans: Exported[] = [];
  const c = { spans, refusing: false, exporter: undefined as unknown as Exporter };
  c.exporter = {
    export: (batch, done) => {
      if (!c.refusing) spans.push(...batch);
      done({ code: c.refusing ? 1 : 0 });
    },
    shutdown: async () => {},
  };
  return c;
}

const segments = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith("segment-"));
let dirs: string[] = [];
const spoolDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-spool-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

// A worker's three spans per record, 200 records, its exporter pointed at a port nothing listens on.
const flow = (dir: string) => `
import { createTracing, traceparentOf, SpanKind } from "./workload/core/tracing.ts";
const t = createTracing({ url: "http://127.0.0.1:9", spoolDir: ${JSON.stringify(dir)}, service: "worker", instance: "worker-0" });
const ids = [];
for (let i = 0; i < 200; i++) {
  const fetch = t.start("worker.fetch", null, SpanKind.CONSUMER);
  const process = t.start("worker.process", traceparentOf(fetch));
  process.end();
  const commit = t.start("worker.commit", traceparentOf(fetch));
  commit.end();
  fetch.end();
  ids.push(fetch.spanContext().traceId);
}
process.stdout.write(JSON.stringify(ids) + "\\n");
setInterval(() => {}, 1000);
`;

// Spans exported as they end (to an OTLP endpoint of its own that takes everything), except one still running
// when the process is killed: an ack waiting for its confirmation.
const flowWithAckInFlight = (dir: string) => `
import * as http from "node:http";
import { createTracing, traceparentOf } from "./workload/core/tracing.ts";
const server = http.createServer((req, res) => { req.resume(); req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end()); });
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const t = createTracing({ url: "http://127.0.0.1:" + server.address().port, spoolDir: ${JSON.stringify(dir)}, service: "worker", instance: "worker-1" });
const receive = t.start("records.receive", null);
const ack = t.start("records.ack", traceparentOf(receive));
for (let i = 0; i < 10; i++) t.start("records.other", null).end();
await new Promise((r) => setTimeout(r, 400));
process.stdout.write(JSON.stringify({ receive: receive.spanContext().spanId, ack: ack.spanContext().spanId }) + "\\n");
setInterval(() => {}, 1000);
`;

/** Runs a flow script until it prints its line, then kills it with SIGKILL. */
async function runAndKill<T>(script: string): Promise<T> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const printed = await new Promise<T>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.endsWith("\n")) resolve(JSON.parse(out) as T);
    });
    child.on("exit", (code) => reject(new Error(`the flow exited (${code}) before it printed its line`)));
  });
  child.kill("SIGKILL");
  await new Promise((r) => child.on("close", r));
  return printed;
}

describe("the span spool", () => {
  it("hands a SIGKILLed process's spans to the next one on the same directory, each whole", async () => {
    const dir = spoolDir();
    const traceIds = await runAndKill<string[]>(flow(dir));
    expect(segments(dir).length).toBeGreaterThan(0);

    const next = collector();
    const spool = new SpanSpool({ dir, exporter: next.exporter, resource: tracingResource("worker", "worker-0"), scope: "cp3-workload" });
    expect(spool.recovered).toBe(600);
    await spool.forceFlush();
    expect(next.spans).toHaveLength(600);
    expect(new Set(next.spans.map((s) => s.spanContext().traceId))).toEqual(new Set(traceIds));
    for (const traceId of traceIds) {
      const spans = next.spans.filter((s) => s.spanContext().traceId === traceId);
      const fetch = spans.find((s) => s.name === "worker.fetch")!;
      expect(spans.map((s) => s.name).sort()).toEqual(["worker.commit", "worker.fetch", "worker.process"]);
      for (const child of spans.filter((s) => s !== fetch)) expect(child.parentSpanContext?.spanId).toBe(fetch.spanContext().spanId);
      expect(fetch.resource.attributes).toMatchObject({ "service.name": "worker", "service.instance.id": "worker-0" });
      expect(fetch.endTime[0] * 1e9 + fetch.endTime[1]).toBeGreaterThanOrEqual(fetch.startTime[0] * 1e9 + fetch.startTime[1]);
    }
    await spool.shutdown();
    expect(segments(dir)).toEqual([]);
  }, 30_000);

  it("exports a span the killed process had started and not ended as unfinished, though its segment was exported", async () => {
    const dir = spoolDir();
    const ids = await runAndKill<{ receive: string; ack: string }>(flowWithAckInFlight(dir));
    const next = collector();
    const spool = new SpanSpool({ dir, exporter: next.exporter, resource: tracingResource("worker", "worker-1"), scope: "cp3-workload" });
    await spool.forceFlush();
    // The ten ended spans went out before the kill; the receive and the ack were still running.
    expect(next.spans.map((s) => s.name).sort()).toEqual(["records.ack", "records.receive"]);
    const ack = next.spans.find((s) => s.name === "records.ack")!;
    expect(ack.spanContext().spanId).toBe(ids.ack);
    expect(ack.parentSpanContext?.spanId).toBe(ids.receive);
    expect(ack.status.code).toBe(2);
    expect(ack.status.message).toMatch(/^unfinished: the process stopped before this span ended/);
    expect(ack.attributes["cp3.span.unfinished"]).toBe(true);
    expect(ack.endTime[0] * 1e9 + ack.endTime[1]).toBeGreaterThanOrEqual(ack.startTime[0] * 1e9 + ack.startTime[1]);
    await spool.shutdown();
  }, 30_000);

  it("falls back to memory, with a warning, when its directory cannot be used: tracing never stops a flow", async () => {
    const warnings: string[] = [];
    // Under a file, not a directory (ENOTDIR).
    const file = path.join(spoolDir(), "a-file");
    fs.writeFileSync(file, "");
    const t = createTracing({ url: "http://127.0.0.1:9", spoolDir: path.join(file, "spool"), service: "worker", instance: "worker-0", warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringMatching(/^span spool: cannot use \/.+\/a-file\/spool \(ENOTDIR.+\); the spans wait in memory/)]);
    expect(t.recovered).toBe(0);
    t.start("records.receive", null).end();
  });

  it("deletes each segment once exported, and exports what a tracer ends", async () => {
    const dir = spoolDir();
    const sink = collector();
    const spool = new SpanSpool({ dir, exporter: sink.exporter, resource: tracingResource("gateway", "gateway"), scope: "cp3-workload", intervalMs: 10 });
    const tracing = createTracing({ url: "", service: "gateway", instance: "gateway" });
    const span = tracing.start("gateway.accept", null);
    span.end();
    spool.onEnd(span as unknown as Exported);
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.spans.map((s) => s.name)).toEqual(["gateway.accept"]);
    expect(segments(dir)).toEqual([expect.stringMatching(/^segment-\d+\.jsonl$/)]);
    expect(fs.readFileSync(path.join(dir, segments(dir)[0]!), "utf8")).toBe("");
    await spool.shutdown();
    expect(segments(dir)).toEqual([]);
  });

  it("keeps the newest spans within its bound while the exporter is away, and says what it dropped", async () => {
    const dir = spoolDir();
    const away = collector();
    away.refusing = true;
    const warnings: string[] = [];
    const spool = new SpanSpool({ dir, exporter: away.exporter, resource: tracingResource("worker", "worker-1"), scope: "cp3-workload", intervalMs: 5, maxQueuedSpans: 100, warn: (w) => warnings.push(w) });
    const tracing = createTracing({ url: "", service: "worker", instance: "worker-1" });
    const names: string[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 30; i++) {
        const span = tracing.start(`span-${round}-${i}`, null);
        span.end();
        spool.onEnd(span as unknown as Exported);
        names.push(`span-${round}-${i}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^span spool: 30 spans dropped, the exporter is behind$/);
    away.refusing = false;
    await spool.forceFlush();
    const exported = away.spans.map((s) => s.name);
    expect(exported.length).toBeLessThanOrEqual(130);
    expect(exported).toEqual(names.slice(-exported.length));
    await spool.shutdown();
  });
});
