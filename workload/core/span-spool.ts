// A span processor that survives SIGKILL: each span is appended to a segment file when it starts and again
// when it ends (a write(2), no fsync: a killed process's writes stay in the page cache; only the host going down
// loses them), before anything it describes leaves the process. Every `intervalMs` the current segment is sealed
// and exported, then deleted. A process killed before its export leaves its segments behind, and the next start
// in the same directory (a volume that outlives the process) exports them first; a span that had started but not
// ended (an ack in flight when the kill came) is exported as unfinished: status error, ended at the last write.
// A span exported just before the kill may be exported twice; Jaeger keeps both copies, which coverage does not
// mind. Jaeger away: sealed segments wait, oldest dropped first beyond `maxQueuedSpans`.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Attributes, HrTime, SpanKind, SpanStatus } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace";

/** What a segment line holds of a span: enough for the OTLP exporter to send it again. */
interface StoredSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  traceFlags: number;
  parentSpanId?: string;
  startTime: HrTime;
  /** Absent on the line written when the span starts. */
  endTime?: HrTime;
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

/** The line written when a span starts (no end, status or events yet), or when it ends. */
function toStored(s: ReadableSpan, ended: boolean): StoredSpan {
  const c = s.spanContext();
  return {
    name: s.name, kind: s.kind, traceId: c.traceId, spanId: c.spanId, traceFlags: c.traceFlags,
    ...(s.parentSpanContext ? { parentSpanId: s.parentSpanContext.spanId } : {}),
    startTime: s.startTime, attributes: s.attributes,
    ...(ended ? { endTime: s.endTime, status: s.status, events: s.events } : { status: { code: 0 }, events: [] }),
  };
}

function fromStored(x: StoredSpan & { endTime: HrTime }, resource: Resource, scope: { name: string }): ReadableSpan {
  const context = { traceId: x.traceId, spanId: x.spanId, traceFlags: x.traceFlags };
  return {
    name: x.name, kind: x.kind, spanContext: () => context,
    ...(x.parentSpanId ? { parentSpanContext: { traceId: x.traceId, spanId: x.parentSpanId, traceFlags: x.traceFlags, isRemote: true } } : {}),
    startTime: x.startTime, endTime: x.endTime, duration: minus(x.endTime, x.startTime), ended: true,
    attributes: x.attributes, status: x.status, events: x.events, links: [], resource, instrumentationScope: scope,
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}

const later = (a: HrTime, b: HrTime): HrTime => (a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]) ? a : b);
const hrTimeOf = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

export class SpanSpool implements SpanProcessor {
  private readonly o: Required<Omit<SpanSpoolOptions, "warn">> & Pick<SpanSpoolOptions, "warn">;
  private readonly scope: { name: string };
  private readonly sealed: Segment[] = [];
  private current!: Segment & { fd: number };
  private next = 0;
  private exporting: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  /** Started and not ended yet, by span id. */
  private readonly running = new Map<string, ReadableSpan>();

  constructor(o: SpanSpoolOptions) {
    this.o = { intervalMs: 50, maxExportBatch: 4096, maxQueuedSpans: 16_384, ...o };
    this.scope = { name: o.scope };
    fs.mkdirSync(o.dir, { recursive: true });
    // A previous life's segments, oldest first: exported before anything of this one.
    const left = fs.readdirSync(o.dir).flatMap((f) => (SEGMENT.test(f) ? [{ file: path.join(o.dir, f), n: Number(SEGMENT.exec(f)![1]) }] : [])).sort((a, b) => a.n - b.n);
    this.recover(left.map((l) => l.file));
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

  /** Reads a previous life's segments: its ended spans, then those it started and never ended, as unfinished. */
  private recover(files: string[]): void {
    const started = new Map<string, StoredSpan>();
    let lastWrite: HrTime = [0, 0];
    for (const file of files) {
      const spans: ReadableSpan[] = [];
      try {
        lastWrite = later(hrTimeOf(fs.statSync(file).mtimeMs), lastWrite);
        for (const line of fs.readFileSync(file, "utf8").split("\n")) {
          let x: StoredSpan;
          try {
            x = JSON.parse(line) as StoredSpan;
          } catch {
            continue; // empty, or cut by the kill: that line was not whole when the process died
          }
          if (x.endTime === undefined) started.set(x.spanId, x);
          else {
            started.delete(x.spanId);
            spans.push(fromStored({ ...x, endTime: x.endTime }, this.o.resource, this.scope));
          }
        }
      } catch (err) {
        this.o.warn?.(`span spool: could not read ${file}: ${(err as Error).message}`);
      }
      this.sealed.push({ file, spans });
    }
    const unfinished = [...started.values()].map((x) =>
      fromStored(
        { ...x, endTime: later(lastWrite, x.startTime), status: { code: 2, message: "unfinished: the process stopped before this span ended (killed or crashed); ended at its last write" }, attributes: { ...x.attributes, "cp3.span.unfinished": true } },
        this.o.resource,
        this.scope,
      ),
    );
    this.sealed.at(-1)?.spans.push(...unfinished);
  }

  /** A new current segment; the spans still running start again in it, as the sealed one will be deleted. */
  private open(): void {
    const file = path.join(this.o.dir, `segment-${this.next++}.jsonl`);
    this.current = { file, fd: fs.openSync(file, "a"), spans: [] };
    for (const span of this.running.values()) this.write(span, false);
  }

  private write(span: ReadableSpan, ended: boolean): void {
    try {
      fs.writeSync(this.current.fd, JSON.stringify(toStored(span, ended)) + "\n");
    } catch (err) {
      this.o.warn?.(`span spool: could not write ${this.current.file}: ${(err as Error).message}`);
    }
  }

  onStart(span: Span): void {
    if (this.stopped) return;
    this.running.set(span.spanContext().spanId, span);
    // A span never ended (a bug of the caller's) must not grow this without bound: the oldest goes first.
    if (this.running.size > this.o.maxQueuedSpans) this.running.delete(this.running.keys().next().value!);
    this.write(span, false);
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped) return;
    this.running.delete(span.spanContext().spanId);
    this.write(span, true);
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
