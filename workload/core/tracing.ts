// OpenTelemetry spans for each hop of a record, exported over OTLP (HTTP, protobuf) to the testbed's Jaeger.
// The context travels as a W3C traceparent string, the form it already has in the HTTP header, the NATS header
// and the stored row, so no context manager is needed: each span is started from the traceparent of its parent
// and hands on its own. Without an OTLP endpoint the spans are still made (ids and traceparents as before) and
// nothing is exported. With a spool directory, spans wait for export in files there (span-spool.ts), so a
// process killed with SIGKILL loses none; without, they wait in memory.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Span, type SpanContext, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TracerProvider } from "@opentelemetry/sdk-trace";
import { SpanSpool } from "./span-spool.ts";

export { SpanKind };

const SCOPE = "cp3-workload";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | undefined): { traceId: string; parentId: string; flags: string } | undefined {
  const m = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, parentId: m[2]!, flags: m[3]! };
}

export interface Tracing {
  /** Starts a span under the traceparent given (a new trace when it is absent or invalid). */
  start(name: string, parent: string | null | undefined, kind?: SpanKind): Span;
  /** Flushes what is buffered and stops exporting (on a graceful stop). */
  shutdown(): Promise<void>;
  /** Spans a previous process left in the spool, exported first. */
  recovered: number;
}

/** The traceparent that makes `span` the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? "01" : "00"}`;
}

/** Ends a span, marked failed with the error's message when there is one. */
export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err) });
  span.end();
}

/** Runs `work` in `span`: the span ends when it settles, marked failed when it throws; `describe` adds attributes of the result. */
export async function inSpan<T>(span: Span, work: () => Promise<T>, describe?: (result: T) => Attributes): Promise<T> {
  try {
    const result = await work();
    if (describe) span.setAttributes(describe(result));
    endSpan(span);
    return result;
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
}

function remoteContext(traceparent: string | null | undefined) {
  const p = parseTraceparent(traceparent ?? undefined);
  if (!p) return ROOT_CONTEXT;
  const sc: SpanContext = { traceId: p.traceId, spanId: p.parentId, traceFlags: parseInt(p.flags, 16) & TraceFlags.SAMPLED, isRemote: true };
  return trace.setSpanContext(ROOT_CONTEXT, sc);
}

export interface TracingOptions {
  /** OTLP/HTTP base URL (http://jaeger:4318); empty exports nothing. */
  url: string;
  /** A directory on a volume that outlives the process: spans are spooled there until exported (span-spool.ts). */
  spoolDir?: string;
  service: string;
  instance: string;
  warn?: (message: string) => void;
}

/** What every span of a flow instance is sent under: its service and instance. */
export const tracingResource = (service: string, instance: string) => resourceFromAttributes({ "service.name": service, "service.instance.id": instance });

/** The spool, or undefined (spans then wait in memory) when its directory cannot be used: tracing never stops a flow. */
function openSpool(dir: string, exporter: OTLPTraceExporter, resource: ReturnType<typeof tracingResource>, warn: ((message: string) => void) | undefined): SpanSpool | undefined {
  try {
    return new SpanSpool({ dir, exporter, resource, scope: SCOPE, ...(warn ? { warn } : {}) });
  } catch (err) {
    warn?.(`span spool: cannot use ${dir} (${(err as Error).message}); the spans wait in memory, and a SIGKILL loses what is not exported yet`);
    return undefined;
  }
}

export function createTracing(o: TracingOptions): Tracing {
  // The caller's sampled flag decides (the load generator samples at the edge, so the run knows which records
  // to look for); a record that comes without one is sampled.
  const resource = tracingResource(o.service, o.instance);
  const exporter = () => new OTLPTraceExporter({ url: `${o.url.replace(/\/$/, "")}/v1/traces`, timeoutMillis: 5000 });
  const spool = o.url && o.spoolDir ? openSpool(o.spoolDir, exporter(), resource, o.warn) : undefined;
  const spanProcessors = spool
    ? [spool]
    : o.url
    ? [
        new BatchSpanProcessor({
          exporter: exporter(),
          // Short and large: a process killed with SIGKILL loses what it buffered, so the buffer holds little
          // time (at 200 ms a worker kill in the default run cut 3 traces of 3,000); and at a few thousand records
          // a second, each with three or four spans here, the default queue of 2,048 would drop spans (16,384 is
          // 2 s of spans at 2,000 records/s, and at most about 16 MiB while Jaeger is away).
          scheduledDelayMillis: 50,
          maxQueueSize: 16_384,
          maxExportBatchSize: 4096,
        }),
      ]
    : [];
  const provider = new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
  const tracer: Tracer = provider.getTracer(SCOPE);
  return {
    recovered: spool?.recovered ?? 0,
    start: (name, parent, kind = SpanKind.INTERNAL) => tracer.startSpan(name, { kind }, remoteContext(parent)),
    shutdown: () => provider.shutdown(),
  };
}
