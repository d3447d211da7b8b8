// The one client of Prometheus's HTTP API (v1) the driver uses: the targets it scrapes, instant and range
// queries. Only a Prometheus published on 127.0.0.1 is asked (the network rule); every answer's "error" is
// turned into an Error naming the query.

export interface ScrapeTarget {
  job: string;
  instance: string;
  /** "up", "down" or "unknown" (not scraped yet). */
  health: string;
  lastError: string;
}

/** One series of a range query: its labels and [seconds since the epoch, value] pairs (NaN kept out). */
export interface RangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export interface InstantSample {
  labels: Record<string, string>;
  value: number;
}

interface ApiAnswer<T> {
  status: "success" | "error";
  data?: T;
  errorType?: string;
  error?: string;
}

export class PrometheusClient {
  constructor(readonly baseUrl: string) {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`Prometheus URL: got ${JSON.stringify(baseUrl)}; allowed: http://127.0.0.1:<port> (the stack output observability.prometheusUrl)`);
  }

  private async get<T>(path: string, params: Record<string, string>, what: string): Promise<T> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params).toString()}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let answer: ApiAnswer<T>;
    try {
      answer = JSON.parse(text) as ApiAnswer<T>;
    } catch {
      throw new Error(`Prometheus ${what}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (answer.status !== "success" || answer.data === undefined) throw new Error(`Prometheus ${what}: ${answer.errorType ?? `HTTP ${res.status}`}: ${answer.error ?? "no data"}`);
    return answer.data;
  }

  /** The active targets and their health. */
  async targets(): Promise<ScrapeTarget[]> {
    const data = await this.get<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>("/api/v1/targets", { state: "active" }, "targets");
    return data.activeTargets.map((t) => ({ job: t.labels.job ?? "", instance: t.labels.instance ?? "", health: t.health, lastError: t.lastError }));
  }

  async query(expr: string, atSeconds?: number): Promise<InstantSample[]> {
    const data = await this.get<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>("/api/v1/query", { query: expr, ...(atSeconds !== undefined ? { time: String(atSeconds) } : {}) }, `query ${expr}`);
    if (data.resultType !== "vector") throw new Error(`Prometheus query ${expr}: a ${data.resultType}, expected a vector`);
    return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /** A range query from `start` to `end` (seconds since the epoch) every `stepSeconds`. */
  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
    const data = await this.get<{ resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] }>(
      "/api/v1/query_range",
      { query: expr, start: start.toFixed(3), end: end.toFixed(3), step: String(stepSeconds) },
      `range query ${expr}`,
    );
    if (data.resultType !== "matrix") throw new Error(`Prometheus range query ${expr}: a ${data.resultType}, expected a matrix`);
    return data.result.map((r) => ({ labels: r.metric, points: r.values.map(([t, v]): [number, number] => [t, Number(v)]).filter(([, v]) => Number.isFinite(v)) }));
  }
}
