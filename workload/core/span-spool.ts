// A span processor that survives SIGKILL: each span is appended to a segment file as it ends (a write(2), no
// fsync: a killed process's writes stay in the page cache; only the host going down loses them), before anything
// it describes leaves the process (an ack goes out on a later tick). Every `intervalMs` the current segment is
// sealed and exported, then deleted. A process killed before its export leaves its segments behind, and the next
// start in the same directory (a volume that outlives the process) exports them first. A span exported just
// before the kill may be exported twice; Jaeger keeps both copies of a span id, which coverage does not mind.
// Jaeger away: sealed segments wait, oldest dropped first beyond `maxQueuedSpans`.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Attributes, HrTime, SpanKind, SpanStatus } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace";

/** What a segment line holds of a span: enough for the OTLP exporter to send it again. */
interface StoredSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  traceFlags: number;
  parentSpanId?: string;
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  status: SpanStatus;
  events: TimedEvent[];
}

interface Segment {
  file: string;
  spans: ReadableSpan[];
}

export interface SpanSpoolOptions {
  /** A directory only this process writes, on a volume that outlives it. */
  dir: string;
  exporter: SpanExporter;
  /** The resource and scope recovered spans are sent under (this process's: the same service and instance). */
  resource: Resource;
  scope: string;
  /** @default 50 */
  intervalMs?: number;
  /** @default 4096 */
  maxExportBatch?: number;
  /** @default 16384 */
  maxQueuedSpans?: number;
  /** Told of what it could not do (a segment it could not read or write, spans dropped). */
  warn?: (message: string) => void;
}

const SEGMENT = /^segment-(\d+)\.jsonl$/;
const minus = (a: HrTime, b: HrTime): HrTime => {
  const ns = a[1] - b[1];
  return ns < 0 ? [a[0] - b[0] - 1, ns + 1e9] : [a[0] - b[0], ns];
};

function toStored(s: ReadableSpan): StoredSpan {
  const c = s.spanContext();
  return {
    name: s.name, kind: s.kind, traceId: c.traceId, spanId: c.spanId, traceFlags: c.traceFlags,
    ...(s.parentSpanContext ? { parentSpanId: s.parentSpanContext.spanId } : {}),
    startTime: s.startTime, endTime: s.endTime, attributes: s.attributes, status: s.status, events: s.events,
  };
}

function fromStored(x: StoredSpan, resource: Resource, scope: { name: string }): ReadableSpan {
  const context = { traceId: x.traceId, spanId: x.spanId, traceFlags: x.traceFlags };
  return {
    name: x.name, kind: x.kind, spanContext: () => context,
    ...(x.parentSpanId ? { parentSpanContext: { traceId: x.traceId, spanId: x.parentSpanId, traceFlags: x.traceFlags, isRemote: true } } : {}),
    startTime: x.startTime, endTime: x.endTime, duration: minus(x.endTime, x.startTime), ended: true,
    attributes: x.attributes, status: x.status, events: x.events, links: [], resource, instrumentationScope: scope,
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}

export class SpanSpool implements SpanProcessor {
  private readonly o: Required<Omit<SpanSpoolOptions, "warn">> & Pick<SpanSpoolOptions, "warn">;
  private readonly scope: { name: string };
  private readonly sealed: Segment[] = [];
  private current!: Segment & { fd: number };
  private next = 0;
  private exporting: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(o: SpanSpoolOptions) {
    this.o = { intervalMs: 50, maxExportBatch: 4096, maxQueuedSpans: 16_384, ...o };
    this.scope = { name: o.scope };
    fs.mkdirSync(o.dir, { recursive: true });
    // A previous life's segments, oldest first: exported before anything of this one.
    const left = fs.readdirSync(o.dir).flatMap((f) => (SEGMENT.test(f) ? [{ f, n: Number(SEGMENT.exec(f)![1]) }] : [])).sort((a, b) => a.n - b.n);
    for (const { f } of left) this.sealed.push({ file: path.join(o.dir, f), spans: this.read(path.join(o.dir, f)) });
    this.recovered = this.queuedSpans();
    this.next = (left.at(-1)?.n ?? -1) + 1;
    this.open();
    this.timer = setInterval(() => void this.flushOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  /** Spans recovered from segments a previous process left (for its log line). */
  readonly recovered: number;

  private queuedSpans(): number {
    return this.sealed.reduce((n, s) => n + s.spans.length, 0);
  }

  private read(file: string): ReadableSpan[] {
    try {
      // A line cut by the kill does not parse and is skipped: that span was not whole when the process died.
      return fs.readFileSync(file, "utf8").split("\n").flatMap((line) => {
        if (line === "") return [];
        try {
          return [fromStored(JSON.parse(line) as StoredSpan, this.o.resource, this.scope)];
        } catch {
          return [];
        }
      });
    } catch (err) {
      this.o.warn?.(`span spool: could not read ${file}: ${(err as Error).message}`);
      return [];
    }
  }

  private open(): void {
    const file = path.join(this.o.dir, `segment-${this.next++}.jsonl`);
    this.current = { file, fd: fs.openSync(file, "a"), spans: [] };
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) return;
    try {
      fs.writeSync(this.current.fd, JSON.stringify(toStored(span)) + "\n");
    } catch (err) {
      this.o.warn?.(`span spool: could not write ${this.current.file}: ${(err as Error).message}`);
    }
    this.current.spans.push(span);
  }

  /** Seals the current segment (when it holds spans) and exports every sealed one, oldest first. */
  private flushOnce(): Promise<void> {
    if (this.exporting) return this.exporting;
    if (this.current.spans.length > 0) {
      fs.closeSync(this.current.fd);
      this.sealed.push({ file: this.current.file, spans: this.current.spans });
      this.open();
    }
    let queued = this.queuedSpans();
    while (queued > this.o.maxQueuedSpans && this.sealed.length > 1) {
      const dropped = this.sealed.shift()!;
      queued -= dropped.spans.length;
      this.o.warn?.(`span spool: ${dropped.spans.length} spans dropped, the exporter is behind`);
      fs.rmSync(dropped.file, { force: true });
    }
    if (this.sealed.length === 0) return Promise.resolve();
    this.exporting = this.exportSealed().finally(() => (this.exporting = undefined));
    return this.exporting;
  }

  private async exportSealed(): Promise<void> {
    while (this.sealed.length > 0) {
      const segment = this.sealed[0]!;
      while (segment.spans.length > 0) {
        const batch = segment.spans.slice(0, this.o.maxExportBatch);
        const ok = await new Promise<boolean>((resolve) => this.o.exporter.export(batch, (r) => resolve(r.code === ExportResultCode.SUCCESS)));
        if (!ok) return; // kept, tried again on the next tick
        segment.spans.splice(0, batch.length);
      }
      fs.rmSync(segment.file, { force: true });
      this.sealed.shift();
    }
  }

  async forceFlush(): Promise<void> {
    await this.flushOnce();
    // What ended while that export ran.
    await this.flushOnce();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.forceFlush();
    this.stopped = true;
    fs.closeSync(this.current.fd);
    if (this.current.spans.length === 0) fs.rmSync(this.current.file, { force: true });
    await this.o.exporter.shutdown();
  }
}
