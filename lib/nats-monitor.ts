// The one client of the NATS server's monitoring endpoint the driver uses: health with JetStream, JetStream's
// config, and each consumer's backlog from /jsz. Only a monitor published on 127.0.0.1 is asked (the network
// rule); an answer that is not JSON, or lacks what was asked for, is an Error naming the URL and what it got.
import { getJson } from "./http-probe";

/** One JetStream consumer as /jsz words it, in the units the driver uses. */
export interface ConsumerState {
  stream: string;
  name: string;
  /** Messages not delivered yet. */
  pending: number;
  /** Delivered and not acknowledged yet. */
  ackPending: number;
  /** How long the server waits for an ack before delivering again, in ms (0 when unknown). */
  ackWaitMs: number;
}

interface Jsz {
  config?: { store_dir?: string };
  account_details?: {
    stream_detail?: { name: string; consumer_detail?: { name: string; num_pending: number; num_ack_pending: number; config?: { ack_wait?: number } }[] }[];
  }[];
}

export class NatsMonitorClient {
  constructor(readonly baseUrl: string) {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error(`NATS monitor URL: got ${JSON.stringify(baseUrl)}; allowed: http://127.0.0.1:<port> (the stack output natsMonitorUrl)`);
  }

  /** The URL a health check polls: 200 once the server runs with JetStream enabled. */
  get healthUrl(): string {
    return `${this.baseUrl}/healthz?js-enabled-only=true`;
  }

  /** /jsz with the given query; every failure an Error naming the URL. */
  private async jsz(query: string, timeoutMs: number): Promise<Jsz> {
    const url = `${this.baseUrl}/jsz${query}`;
    const r = await getJson<Jsz>(url, timeoutMs).catch((err: unknown) => {
      throw new Error(`NATS monitor ${url}: no answer (${err instanceof Error ? err.message : String(err)})`);
    });
    if (r.status !== 200 || !r.body) throw new Error(`NATS monitor ${url}: HTTP ${r.status}${r.body ? "" : " without JSON"}`);
    return r.body;
  }

  /** JetStream's config (where it stores); throws when the server answers without one (JetStream off). */
  async jetStreamConfig(timeoutMs = 5_000): Promise<{ storeDir: string }> {
    const body = await this.jsz("", timeoutMs);
    if (!body.config) throw new Error(`NATS monitor ${this.baseUrl}/jsz: no JetStream config (is JetStream enabled?)`);
    return { storeDir: body.config.store_dir ?? "" };
  }

  /** Every consumer of every stream; throws when the monitor does not answer 200 with JSON. */
  async consumers(timeoutMs = 3_000): Promise<ConsumerState[]> {
    const body = await this.jsz("?accounts=true&streams=true&consumers=true", timeoutMs);
    return (body.account_details ?? [])
      .flatMap((a) => a.stream_detail ?? [])
      .flatMap((s) =>
        (s.consumer_detail ?? []).map((c) => ({ stream: s.name, name: c.name, pending: c.num_pending, ackPending: c.num_ack_pending, ackWaitMs: (c.config?.ack_wait ?? 0) / 1e6 })),
      );
  }
}
