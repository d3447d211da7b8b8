// The NATS monitor's client (lib/nats-monitor.ts) against /jsz as nats-server words it, served on 127.0.0.1.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NatsMonitorClient } from "../../lib/nats-monitor";

let server: http.Server | undefined;
afterEach(() => server?.close());

/** A monitor answering every request with `status` and `body`; records the paths asked. */
async function monitor(status: number, body: unknown): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  server = http.createServer((req, res) => {
    asked.push(req.url ?? "");
    res.writeHead(status, { "content-type": "application/json" }).end(typeof body === "string" ? body : JSON.stringify(body));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

const jsz = {
  config: { store_dir: "/data/jetstream" },
  account_details: [
    {
      stream_detail: [
        { name: "RECORDS", consumer_detail: [{ name: "workers", num_pending: 5, num_ack_pending: 2, config: { ack_wait: 30e9 } }] },
        { name: "EMPTY" },
        { name: "AUDIT", consumer_detail: [{ name: "auditor", num_pending: 0, num_ack_pending: 1 }] },
      ],
    },
  ],
};

describe("NatsMonitorClient", () => {
  it("lists every consumer of every stream with its backlog and ack wait in ms", async () => {
    const m = await monitor(200, jsz);
    expect(await new NatsMonitorClient(m.url).consumers()).toEqual([
      { stream: "RECORDS", name: "workers", pending: 5, ackPending: 2, ackWaitMs: 30_000 },
      { stream: "AUDIT", name: "auditor", pending: 0, ackPending: 1, ackWaitMs: 0 },
    ]);
    expect(m.asked).toEqual(["/jsz?accounts=true&streams=true&consumers=true"]);
  });

  it("reads JetStream's store directory, and says when JetStream is off", async () => {
    const on = await monitor(200, jsz);
    expect(await new NatsMonitorClient(on.url).jetStreamConfig()).toEqual({ storeDir: "/data/jetstream" });
    server!.close();
    const off = await monitor(200, { server_id: "x" });
    await expect(new NatsMonitorClient(off.url).jetStreamConfig()).rejects.toThrow(`NATS monitor ${off.url}/jsz: no JetStream config (is JetStream enabled?)`);
  });

  it("names the URL and the status of an answer that is not 200 with JSON", async () => {
    const m = await monitor(503, "busy");
    await expect(new NatsMonitorClient(m.url).consumers()).rejects.toThrow(`NATS monitor ${m.url}/jsz?accounts=true&streams=true&consumers=true: HTTP 503 without JSON`);
  });

  it("names the URL when nothing answers", async () => {
    const m = await monitor(200, jsz);
    server!.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(new NatsMonitorClient(m.url).consumers()).rejects.toThrow(new RegExp(`^NATS monitor ${m.url}/jsz\\S*: no answer \\(`));
  });

  it("asks nothing but 127.0.0.1", () => {
    expect(() => new NatsMonitorClient("http://172.17.0.2:8222")).toThrow('NATS monitor URL: got "http://172.17.0.2:8222"; allowed: http://127.0.0.1:<port> (the stack output natsMonitorUrl)');
  });
});
