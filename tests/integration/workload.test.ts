// The reference workload on a real ci stack: records through gateway -> JetStream -> 2 workers -> PostgreSQL
// with exactly one result each, malformed requests rejected with nothing stored, and nothing lost or done twice
// when NATS (its tmpfs store wiped) or a worker is killed mid-stream.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, openStack, upStack } from "../../lifecycle/stacks";
import { newRunId } from "../../lib/run-id";
import * as docker from "../../lib/docker-api";
import { poll } from "../../lib/poll";
import { setup } from "../../toolchain/setup";

interface Outputs {
  gatewayUrl: string;
  natsUrl: string;
  containers: { nats: string[]; postgres: string; gateway: string[]; worker: string[] };
}

const name = `ci-wl-${newRunId()}`;
let stack: Stack | undefined;
let o: Outputs;

async function post(body: string, headers: Record<string, string>): Promise<{ status: number; id?: string; retryAfter?: string }> {
  const res = await fetch(`${o.gatewayUrl}/v1/records`, { method: "POST", body, headers, signal: AbortSignal.timeout(15_000) });
  const json = (await res.json().catch(() => ({}))) as { id?: string };
  return { status: res.status, id: json.id, ...(res.headers.get("retry-after") ? { retryAfter: res.headers.get("retry-after")! } : {}) };
}

const record = (key: string, n: number) => post(JSON.stringify({ payload: { n, note: "integration" } }), { "content-type": "application/json", "idempotency-key": key });

/** Posts `count` records with `concurrency` in flight; calls `at` once `trigger` of them are done. */
async function postMany(prefix: string, count: number, concurrency: number, trigger?: { after: number; action: () => Promise<void> }) {
  const accepted: string[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  let done = 0;
  let fired: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        // A client retries what it could not get an answer for, with the same key (at most 20 times).
        for (let attempt = 0; attempt < 20; attempt++) {
          const r = await record(`${prefix}-${i}`, i).catch(() => ({ status: 0, id: undefined }));
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 202 && r.id) {
            accepted.push(r.id);
            break;
          }
          await new Promise((res) => setTimeout(res, 250));
        }
        done++;
        if (trigger && done === trigger.after) fired = trigger.action();
      }
    }),
  );
  await fired;
  return { accepted, statuses };
}

async function sql(query: string): Promise<string> {
  const r = await docker.exec(o.containers.postgres, ["psql", "-tA", "-F", ",", "-c", query]);
  if (r.exitCode !== 0) throw new Error(`psql failed (${r.exitCode}): ${r.output}`);
  return r.output.trim();
}

/** Waits until no record is pending; returns the seconds it took. */
async function drained(timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  const r = await poll(async () => ((await sql("SELECT count(*) FROM records WHERE state = 'pending'")) === "0" ? (Date.now() - t0) / 1000 : undefined), { timeoutMs, intervalMs: 500, what: "no record pending" });
  if (r.done) return r.value;
  throw new Error(`records still pending after ${timeoutMs / 1000} s: ${await sql("SELECT count(*) FROM records WHERE state = 'pending'")}`);
}

/** Every accepted id has exactly one result, and no record was processed twice. */
async function expectExactlyOnce(ids: string[]): Promise<void> {
  const unique = [...new Set(ids)];
  expect(await sql(`SELECT count(*) FROM results WHERE record_id IN (${unique.map((i) => `'${i}'`).join(",")})`)).toBe(String(unique.length));
  expect(await sql("SELECT count(*) FROM (SELECT record_id FROM processing_attempts WHERE outcome = 'processed' GROUP BY 1 HAVING count(*) > 1) d")).toBe("0");
  expect(await sql("SELECT count(*) FROM records r LEFT JOIN results s ON s.record_id = r.id WHERE r.state = 'processed' AND s.record_id IS NULL")).toBe("0");
}

async function killAndWaitRunning(container: string): Promise<void> {
  await docker.killContainer(container);
  // The restart policy (on-failure) brings it back; start it if the engine has not yet.
  const r = await poll(async () => ((await docker.inspectContainer(container)).State.Running ? true : undefined), { timeoutMs: 30_000, intervalMs: 300, what: `${container} running` });
  if (!r.done) await docker.startContainer(container);
}

beforeAll(async () => {
  const result = await setup({ checkOnly: true });
  expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  stack = await openStack(name, result.toolchain);
  // Quick recovery for the test: republish pending records after 10 s, redeliver unacked ones after 5 s.
  // A small backlog bound, so the backpressure test can reach it.
  await stack.setConfig("cp3:gateway", { value: JSON.stringify({ hostPort: 0, reconcileAfterSeconds: 10, maxBacklog: 300 }) });
  await stack.setConfig("cp3:jetstream", { value: JSON.stringify({ maxBytesMiB: 200, ackWaitSeconds: 5 }) });
  // PostgreSQL on a volume, so that restarting it keeps the data (a tmpfs would come back empty).
  await stack.setConfig("cp3:postgres", { value: JSON.stringify({ storage: "volume", memoryMiB: 512 }) });
  o = (await upStack(stack)).outputs as unknown as Outputs;
}, 600_000);

afterAll(async () => {
  if (stack) await destroyStack(stack, { remove: true });
}, 300_000);

describe(`the workload on a real ci stack (${name})`, () => {
  it("processes 2000 records through two workers with exactly one result each", async () => {
    const { accepted, statuses } = await postMany("bulk", 2000, 32);
    expect(statuses[202]).toBe(2000);
    expect(new Set(accepted).size).toBe(2000);
    await drained(120_000);
    await expectExactlyOnce(accepted);
    // Both workers took part.
    expect(await sql("SELECT count(DISTINCT worker) FROM results")).toBe("2");
  }, 300_000);

  it("terminates poison messages without retrying them, and exports what happened as metrics", async () => {
    const nats = (await import("node:child_process")).spawnSync(
      `${process.env.CP3_TOOLCHAIN_BIN}/nats`,
      ["--server", o.natsUrl, "pub", "records.new", "this is not a record", "--count", "3"],
      { encoding: "utf8", timeout: 30_000, env: { ...process.env, HOME: process.env.HOME ?? "/tmp" } },
    );
    expect(nats.status, nats.stderr).toBe(0);
    let dead = 0;
    await poll(
      async () => {
        const metrics = await Promise.all(o.containers.worker.map((w) => docker.exec(w, ["curl", "-fsS", "http://127.0.0.1:8081/metrics"])));
        dead = metrics.map((m) => Number(/^records_dead_lettered_total\{[^}]*\} (\d+)/m.exec(m.output)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
        return dead >= 3 ? dead : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "3 records dead-lettered" },
    );
    expect(dead).toBe(3);
    const gateway = await (await fetch(`${o.gatewayUrl}/metrics`)).text();
    expect(Number(/^records_accepted_total\{[^}]*\} (\d+)/m.exec(gateway)?.[1])).toBeGreaterThanOrEqual(2000);
    expect(gateway).toMatch(/^http_request_duration_seconds_bucket\{.*route="\/v1\/records"/m);
    // JSON logs, one object per line, with the flow's name on each.
    const line = (await docker.containerLogs(o.containers.worker[0]!, 50)).trim().split("\n").pop()!;
    expect(JSON.parse(line)).toMatchObject({ flow: "worker", instance: expect.any(String), level: expect.any(String) });
  }, 120_000);

  it("answers a retry with the same key with the same id and stores nothing twice", async () => {
    const first = await record("same-key", 1);
    const again = await record("same-key", 2);
    expect(first.status).toBe(202);
    expect(again).toEqual(first);
    expect(await sql("SELECT count(*) FROM records WHERE idempotency_key = 'same-key'")).toBe("1");
  });

  it("rejects 30+ malformed requests with the right 4xx and stores nothing", async () => {
    const before = await sql("SELECT count(*) FROM records");
    const json = { "content-type": "application/json" };
    const key = (k: string) => ({ ...json, "idempotency-key": k });
    const cases: [string, string, Record<string, string>, number][] = [
      ["no key", '{"payload":{}}', json, 400],
      ["empty key", '{"payload":{}}', key(""), 400],
      ["key too long", '{"payload":{}}', key("k".repeat(129)), 400],
      ["key with a space", '{"payload":{}}', key("a b"), 400],
      ["key with a tab", '{"payload":{}}', key("a\tb"), 400],
      ["truncated JSON", '{"payload":', key("m1"), 400],
      ["not JSON", "payload=1", key("m2"), 400],
      ["trailing comma", '{"payload":{},}', key("m3"), 400],
      ["single quotes", "{'payload':{}}", key("m4"), 400],
      ["empty body", "", key("m5"), 400],
      ["null body", "null", key("m6"), 400],
      ["array body", "[]", key("m7"), 400],
      ["string body", '"x"', key("m8"), 400],
      ["number body", "42", key("m9"), 400],
      ["missing payload", "{}", key("m10"), 400],
      ["payload null", '{"payload":null}', key("m11"), 400],
      ["payload string", '{"payload":"x"}', key("m12"), 400],
      ["payload number", '{"payload":1}', key("m13"), 400],
      ["payload array", '{"payload":[1]}', key("m14"), 400],
      ["payload boolean", '{"payload":true}', key("m15"), 400],
      ["unknown field", '{"payload":{},"extra":1}', key("m16"), 400],
      ["unknown field only", '{"other":{}}', key("m17"), 400],
      ["wrong case", '{"Payload":{}}', key("m18"), 400],
      ["oversized", JSON.stringify({ payload: { x: "a".repeat(70_000) } }), key("m19"), 413],
      ["text/plain", '{"payload":{}}', { "content-type": "text/plain", "idempotency-key": "m20" }, 415],
      ["form", "payload=1", { "content-type": "application/x-www-form-urlencoded", "idempotency-key": "m21" }, 415],
      ["xml", "<payload/>", { "content-type": "application/xml", "idempotency-key": "m22" }, 415],
      ["octet-stream", "{}", { "content-type": "application/octet-stream", "idempotency-key": "m23" }, 415],
      ["multipart", "--x--", { "content-type": "multipart/form-data; boundary=x", "idempotency-key": "m24" }, 415],
      ["no content type", '{"payload":{}}', { "idempotency-key": "m25" }, 415],
      ["nested unknown ok but key missing", '{"payload":{"a":{"b":1}}}', json, 400],
      ["duplicate payload key, last wins but still an object", '{"payload":1,"payload":"x"}', key("m26"), 400],
    ];
    const got = await Promise.all(cases.map(async ([label, body, headers]) => [label, (await post(body, headers)).status] as const));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(cases.map(([label, , , status]) => [label, status])));
    const badId = await fetch(`${o.gatewayUrl}/v1/records/not-a-uuid`);
    expect(badId.status).toBe(400);
    expect((await fetch(`${o.gatewayUrl}/v1/records/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect(await sql("SELECT count(*) FROM records")).toBe(before);
  });

  it("loses nothing and duplicates nothing when NATS is killed mid-stream and comes back with an empty store", async () => {
    const nats = o.containers.nats[0]!;
    const { accepted, statuses } = await postMany("nats-kill", 1000, 16, { after: 300, action: () => killAndWaitRunning(nats) });
    expect(accepted.length, JSON.stringify(statuses)).toBe(1000);
    const seconds = await drained(180_000);
    await expectExactlyOnce(accepted);
    // The stream came back because a flow made it again (the server restarted with an empty tmpfs).
    const logs = await Promise.all([...o.containers.gateway, ...o.containers.worker].map((c) => docker.containerLogs(c)));
    expect(logs.join("")).toMatch(/stream was missing and has been created again/);
    expect(seconds).toBeLessThan(180);
  }, 400_000);

  it("answers 503 with Retry-After while PostgreSQL is down, writes nothing half, and recovers", async () => {
    const before = await record("pg-before", 1);
    expect(before.status).toBe(202);
    const pg = o.containers.postgres;
    await docker.stopContainer(pg, 10);
    try {
      const during = await record("pg-down", 2);
      expect(during).toEqual({ status: 503, retryAfter: "2" });
    } finally {
      await docker.startContainer(pg);
    }
    // Back: the same key is accepted now (nothing of the failed attempt was stored), and everything drains.
    let after = { status: 0 } as Awaited<ReturnType<typeof record>>;
    for (let i = 0; i < 60 && after.status !== 202; i++) {
      after = await record("pg-down", 2).catch(() => ({ status: 0 }));
      if (after.status !== 202) await new Promise((r) => setTimeout(r, 500));
    }
    expect(after.status).toBe(202);
    await drained(120_000);
    await expectExactlyOnce([before.id!, after.id!]);
  }, 300_000);

  it("pushes back with 429 and Retry-After while the backlog is over its bound, and never drops an accepted record", async () => {
    const workers = o.containers.worker;
    for (const w of workers) await docker.pauseContainer(w);
    const accepted: string[] = [];
    let pushedBack: Awaited<ReturnType<typeof record>> | undefined;
    try {
      for (let i = 0; i < 3000 && !pushedBack; i += 20) {
        const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => record(`bp-${i + j}`, i + j)));
        for (const r of batch) if (r.status === 202) accepted.push(r.id!);
        pushedBack = batch.find((r) => r.status === 429);
        // The gateway samples the backlog every half second.
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      for (const w of workers) await docker.unpauseContainer(w);
    }
    expect(pushedBack).toEqual({ status: 429, retryAfter: "1" });
    expect(accepted.length).toBeGreaterThan(300);
    await drained(120_000);
    await expectExactlyOnce(accepted);
    // What was pushed back was not stored: exactly the accepted ones carry the test's keys.
    expect(await sql("SELECT count(*) FROM records WHERE idempotency_key LIKE 'bp-%'")).toBe(String(accepted.length));
  }, 300_000);

  it("loses nothing and duplicates nothing when a worker is killed mid-batch", async () => {
    const worker = o.containers.worker[0]!;
    const { accepted } = await postMany("worker-kill", 1000, 16, { after: 300, action: () => killAndWaitRunning(worker) });
    expect(accepted.length).toBe(1000);
    await drained(180_000);
    await expectExactlyOnce(accepted);
  }, 400_000);
  // Last: a restarted container may get another engine-picked host port.
  it("shuts a flow down gracefully on SIGTERM: exit 0 within the grace period, after draining", async () => {
    const gateway = o.containers.gateway[0]!;
    const t0 = Date.now();
    await docker.stopContainer(gateway, 15);
    const seconds = (Date.now() - t0) / 1000;
    const state = (await docker.inspectContainer(gateway)).State;
    await docker.startContainer(gateway);
    expect(state.ExitCode).toBe(0);
    expect(seconds).toBeLessThan(10);
    expect(await docker.containerLogs(gateway, 200)).toMatch(/"msg":"shutdown complete"/);
  }, 120_000);
});
