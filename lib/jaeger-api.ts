// The one client of Jaeger's query API the driver uses: one trace by its id, as the spans it holds (service and
// name). Only a Jaeger published on 127.0.0.1 is asked (the network rule).

export interface TraceSpan {
  service: string;
  name: string;
  /** Marked failed (the OpenTelemetry status ERROR, Jaeger's error=true tag). */
  error: boolean;
  /** When it ended, ms since the epoch. */
  endMs: number;
}

interface JaegerTrace {
  spans: { operationName: string; processID: string; startTime: number; duration: number; tags?: { key: string; value: unknown }[] }[];
  processes: Record<string, { serviceName: string }>;
}

export class JaegerClient {
  constructor(readonly baseUrl: string) {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`Jaeger URL: got ${JSON.stringify(baseUrl)}; allowed: http://127.0.0.1:<port> (the stack output observability.traces.queryUrl)`);
  }

  /** The spans of one trace; [] when Jaeger has none under that id. */
  async trace(traceId: string): Promise<TraceSpan[]> {
    const res = await fetch(`${this.baseUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return [];
    const text = await res.text();
    if (!res.ok) throw new Error(`Jaeger trace ${traceId}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    let data: JaegerTrace[];
    try {
      data = (JSON.parse(text) as { data: JaegerTrace[] | null }).data ?? [];
    } catch {
      throw new Error(`Jaeger trace ${traceId}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
    }
    return data.flatMap((t) => t.spans.map((s) => ({ service: t.processes[s.processID]?.serviceName ?? "", name: s.operationName, error: (s.tags ?? []).some((g) => g.key === "error" && g.value === true), endMs: (s.startTime + s.duration) / 1000 })));
  }
}
