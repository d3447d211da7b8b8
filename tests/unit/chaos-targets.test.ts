// ChaosTargets come from the stack's outputs; a missing or malformed output is named. Waiting is cut short by
// an interrupt, so a held fault is rolled back at once.
import { describe, expect, it } from "vitest";
import { chaosTargetsFromOutputs } from "../../chaos";
import { resolveTarget } from "../../chaos/targets";
import { sleep, within } from "../../chaos/sleep";

const outputs = () => ({
  gatewayUrl: "http://127.0.0.1:32772",
  natsMonitorUrl: "http://127.0.0.1:32768",
  toxiproxyUrl: "http://127.0.0.1:32771",
  postgresDsn: "[secret]",
  chaosProxies: { enabled: true, nats: ["nats-0"], postgres: "postgres" },
  containers: { gateway: ["cp3-x-gateway"], nats: ["cp3-x-nats-0"], postgres: "cp3-x-postgres", toxiproxy: "cp3-x-toxiproxy", worker: ["cp3-x-worker-0", "cp3-x-worker-1"] },
  networks: { data: "cp3-x-data", edge: "cp3-x-edge" },
  stream: { consumer: "workers", name: "RECORDS" },
});

describe("chaosTargetsFromOutputs", () => {
  it("takes what the chaos engine needs from the outputs", () => {
    const t = chaosTargetsFromOutputs(outputs());
    expect(t.containers.worker).toEqual(["cp3-x-worker-0", "cp3-x-worker-1"]);
    expect(t.chaosProxies).toEqual({ nats: ["nats-0"], postgres: "postgres", enabled: true });
    expect(t.stream).toEqual({ name: "RECORDS", consumer: "workers" });
  });

  it("takes a described system's services by role, and refuses a role the stack does not have", async () => {
    const t = chaosTargetsFromOutputs({
      ...outputs(),
      containers: { nats: ["cp3-x-nats-0"], postgres: "cp3-x-postgres", toxiproxy: "cp3-x-toxiproxy", "orders-api": ["cp3-x-orders-api"], "orders-fulfil": ["cp3-x-orders-fulfil-0", "cp3-x-orders-fulfil-1"] },
      roles: { "orders-api": ["orders-api"], entry: ["orders-api"], "orders-fulfil": ["orders-fulfil"], consumer: ["orders-fulfil"] },
      system: { name: "orders", drive: { entry: "orders-api", healthPath: "/readyz" } },
    });
    expect(t.entry).toEqual({ service: "orders-api", healthPath: "/readyz" });
    expect(await resolveTarget(t, { role: "consumer", pick: "all" })).toEqual(["cp3-x-orders-fulfil-0", "cp3-x-orders-fulfil-1"]);
    expect(await resolveTarget(t, { role: "consumer", pick: 1 })).toEqual(["cp3-x-orders-fulfil-1"]);
    expect(await resolveTarget(t, { role: "postgres", pick: "all" })).toEqual(["cp3-x-postgres"]);
    await expect(resolveTarget(t, { role: "worker", pick: "all" })).rejects.toThrow('target role "worker" is not one of this stack\'s roles: nats, postgres, toxiproxy, orders-api, entry, orders-fulfil, consumer');
  });

  it("names a missing or malformed output", () => {
    expect(() => chaosTargetsFromOutputs({ ...outputs(), gatewayUrl: "http://10.0.0.1:80" })).toThrow('stack output gatewayUrl: got "http://10.0.0.1:80"; allowed: http://127.0.0.1:<port>');
    expect(() => chaosTargetsFromOutputs({ ...outputs(), containers: { ...outputs().containers, worker: "w" } })).toThrow('stack output containers.worker: got "w"; allowed: an array of names');
    const rest: Record<string, unknown> = outputs();
    delete rest.stream;
    expect(() => chaosTargetsFromOutputs(rest)).toThrow("stack output stream: got nothing; allowed: an object");
  });
});

describe("sleep and within", () => {
  it("an abort ends a sleep at once", async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 50);
    await sleep(10_000, ac.signal);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("within gives the value, or the fallback at the deadline or on abort", async () => {
    expect(await within(Promise.resolve(1), 1000, 0)).toBe(1);
    expect(await within(new Promise<number>(() => {}), 20, 0)).toBe(0);
    const ac = new AbortController();
    ac.abort();
    expect(await within(new Promise<number>(() => {}), 10_000, -1, ac.signal)).toBe(-1);
  });
});
