// NATS through the current @nats-io packages: reconnect forever with jittered waits, every status change
// logged and exported, drain on shutdown. Also makes sure the stream and the consumer exist: a NATS server
// restarted with its store on tmpfs comes back empty.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { Metrics } from "./metrics.ts";

export interface NatsHandle {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: () => Promise<JetStreamManager>;
}

/** `caFile`: the servers require TLS, and their certificate (and name) is verified against this CA. */
export async function connectNats(servers: string[], name: string, log: Logger, metrics: Metrics, caFile = ""): Promise<NatsHandle> {
  const nc = await connect({
    servers,
    name,
    ...(caFile ? { tls: { caFile } } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 500,
    waitOnFirstConnect: true,
    timeout: 5000,
    // No stack captured at every request, publish and double ack in case it fails later (an Error each, a
    // visible share of the CPU per message); failures still carry their own stack.
    noAsyncTraces: true,
  });
  metrics.natsConnected.set(1);
  log.info({ servers }, "nats: connected");
  (async () => {
    for await (const s of nc.status()) {
      const connected = s.type === "reconnect" ? 1 : s.type === "disconnect" ? 0 : undefined;
      if (connected !== undefined) metrics.natsConnected.set(connected);
      if (s.type !== "ping") log.info({ status: s.type }, "nats: status");
    }
  })().catch((err) => log.warn({ err }, "nats: status loop ended"));
  return { nc, js: jetstream(nc), jsm: () => jetstreamManager(nc) };
}

export interface StreamDefinition {
  name: string;
  subjects: string[];
  config: Record<string, unknown>;
}

/** Creates the stream when it is missing (after a NATS restart with an empty tmpfs store). */
export async function ensureStream(h: NatsHandle, config: Record<string, unknown>, log: Logger): Promise<void> {
  const jsm = await h.jsm();
  const name = String(config.name);
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add(config as Parameters<typeof jsm.streams.add>[0]);
    log.warn({ stream: name }, "nats: stream was missing and has been created again");
  }
}

export async function ensureConsumer(h: NatsHandle, stream: string, config: Record<string, unknown>, log: Logger): Promise<void> {
  const jsm = await h.jsm();
  const name = String(config.durable_name);
  try {
    await jsm.consumers.info(stream, name);
  } catch {
    await jsm.consumers.add(stream, config as Parameters<typeof jsm.consumers.add>[1]);
    log.warn({ stream, consumer: name }, "nats: consumer was missing and has been created again");
  }
}
