// Waiting for the consumers' acks to settle (pipeline/seed.ts) against a NATS monitor's /jsz as nats-server
// words it, served on 127.0.0.1: the backlog summed over every consumer, the wait bounded by the longest ack wait.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitAcksSettled } from "../../pipeline/seed";

let server: http.Server | undefined;
afterEach(() => server?.close());

/** A monitor whose two consumers hold `backlogs[i]` messages (half pending, half ack pending) at the i-th ask. */
async function monitor(backlogs: number[], ackWaitSeconds: number): Promise<{ url: string; asks: () => number }> {
  let asked = 0;
  server = http.createServer((_req, res) => {
    const b = backlogs[Math.min(asked++, backlogs.length - 1)]!;
    const consumer = (n: number) => ({ name: "workers", num_pending: Math.floor(n / 2), num_ack_pending: n - Math.floor(n / 2), config: { ack_wait: ackWaitSeconds * 1e9 } });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ account_details: [{ stream_detail: [{ name: "RECORDS", consumer_detail: [consumer(b), consumer(0)] }, { name: "EMPTY" }] }] }));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asks: () => asked };
}

describe("waitAcksSettled", () => {
  it("returns at once when nothing waits for an ack", async () => {
    const m = await monitor([0], 30);
    expect(await waitAcksSettled(m.url, new AbortController().signal)).toBe(0);
    expect(m.asks()).toBe(1);
  });

  it("waits for a stranded message to be delivered again and acknowledged", async () => {
    const m = await monitor([3, 3, 1, 0], 30);
    expect(await waitAcksSettled(m.url, new AbortController().signal)).toBe(0);
    expect(m.asks()).toBe(4);
  }, 20_000);

  it("gives up after the longest ack wait and 10 s, with the backlog left", async () => {
    const m = await monitor([2], 0.001);
    expect(await waitAcksSettled(m.url, new AbortController().signal)).toBe(2);
    expect(m.asks()).toBeGreaterThan(5);
  }, 20_000);

  it("says NaN when the monitor does not answer", async () => {
    const m = await monitor([0], 30);
    server!.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await waitAcksSettled(m.url, new AbortController().signal)).toBeNaN();
  });
});
