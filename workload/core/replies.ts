// Requests whose answers come back to one subscription: JetStream publishes (the stream answers with its
// PubAck) and double acks (the server confirms it recorded the ack). The wire protocol is the client's own:
// the message with a reply subject, answered there. What differs is the bookkeeping: the client's requests
// make an object, a timer and an Error each (about a fifth of the gateway's CPU at a few thousand records a
// second); here a request is a map entry and a promise, with one timer for every deadline.
import type { JsMsg } from "@nats-io/jetstream";
import { createInbox, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";

interface Waiting {
  resolve: (msg: Msg) => void;
  reject: (err: Error) => void;
  deadline: number;
}

export interface Replies {
  request(subject: string, data: string | Uint8Array, headers?: MsgHdrs): Promise<Msg>;
  close(): void;
}

export function createReplies(nc: NatsConnection, timeoutMs: number): Replies {
  const prefix = `${createInbox()}.`;
  const waiting = new Map<string, Waiting>();
  let next = 0;
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const sub = nc.subscribe(`${prefix}*`, {
    callback: (err, msg) => {
      if (err) return failAll(err);
      const token = msg.subject.slice(prefix.length);
      const w = waiting.get(token);
      if (!w) return; // answered after its deadline
      waiting.delete(token);
      w.resolve(msg);
    },
  });
  // Deadlines in insertion order, so the check stops at the first one still open.
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [token, w] of waiting) {
      if (w.deadline > now) break;
      waiting.delete(token);
      w.reject(new Error(`no answer within ${timeoutMs} ms`));
    }
  }, 250);
  timer.unref();
  // A dropped connection loses the answers still owed, as it does for the client's own requests.
  (async () => {
    for await (const s of nc.status()) if (s.type === "disconnect") failAll(new Error("connection disconnected"));
  })().catch(() => undefined);

  return {
    request: (subject, data, headers) =>
      new Promise<Msg>((resolve, reject) => {
        const token = (next++).toString(36);
        waiting.set(token, { resolve, reject, deadline: Date.now() + timeoutMs });
        try {
          nc.publish(subject, data, { reply: `${prefix}${token}`, headers });
        } catch (err) {
          waiting.delete(token);
          reject(err as Error);
        }
      }),
    close: () => {
      clearInterval(timer);
      sub.unsubscribe();
      failAll(new Error("closed"));
    },
  };
}

/** A JetStream publish, deduplicated by the stream on `msgId`; resolves once the stream has stored it. */
export async function jsPublish(r: Replies, subject: string, data: string, msgId: string, traceparent: string | null): Promise<void> {
  const hdrs = natsHeaders();
  hdrs.set("Nats-Msg-Id", msgId);
  if (traceparent) hdrs.set("traceparent", traceparent);
  const msg = await r.request(subject, data, hdrs);
  if (msg.headers?.code === 503) throw new Error(`no responders for ${subject}: no stream takes the subject`);
  let ack: { stream?: string; error?: { code?: number; description?: string } };
  try {
    ack = JSON.parse(msg.string()) as typeof ack;
  } catch {
    throw new Error("invalid PubAck: not JSON");
  }
  if (ack.error) throw new Error(`stream refused the message: ${ack.error.description ?? "unknown error"} (${ack.error.code ?? "?"})`);
  if (!ack.stream) throw new Error("invalid PubAck: no stream");
}

const ACK = Uint8Array.of(43, 65, 67, 75); // "+ACK"

/** The double ack: the ack, and the server's confirmation that it recorded it. */
export async function doubleAck(r: Replies, m: JsMsg): Promise<void> {
  // The ack subject: the client's message implementation has it, its interface does not declare it.
  const reply = (m as unknown as { reply?: string }).reply;
  if (!reply) {
    await m.ackAck();
    return;
  }
  await r.request(reply, ACK);
}
