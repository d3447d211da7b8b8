// The integrity checker can fail: on a real stack whose workers ack before they commit (the test-only setting),
// crash mid-stream and are restarted, with the reconciler out of reach and result rows deleted behind its back,
// `cp3 check` names exactly the acknowledged keys that have no result and exits 1.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crash } from "../../chaos/engine";
import { destroyStack, openStack, upStack } from "../../lifecycle/stacks";
import * as docker from "../../lib/docker-api";
import { newRunId } from "../../lib/run-id";
import { setup } from "../../toolchain/setup";
import { runCli } from "./cli-process";

interface Outputs {
  gatewayUrl: string;
  containers: { postgres: string; worker: string[] };
}

const name = `ci-chk-${newRunId()}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-checker-test-"));
const ledgerFile = path.join(dir, "ledger.jsonl");
let stack: Stack | undefined;
let o: Outputs;

async function sql(query: string): Promise<string[]> {
  const r = await docker.exec(o.containers.postgres, ["psql", "-qtA", "-c", query]);
  if (r.exitCode !== 0) throw new Error(`psql failed (${r.exitCode}): ${r.output}`);
  return r.output.trim().split("\n").filter(Boolean);
}

beforeAll(async () => {
  const result = await setup({ checkOnly: true });
  expect(result.missing).toEqual([]);
  stack = await openStack(name, result.toolchain);
  // Slow synthetic work keeps many messages in flight between the early ack and the commit; the reconciler
  // waits a day, so nothing repairs what the kills lose.
  await stack.setConfig("cp3:worker", { value: JSON.stringify({ replicas: 2, testOnlyAckBeforeCommit: true, cpuRounds: 40_000, concurrency: 32 }) });
  // The ci jetstream settings with a short ack wait: what a crashed worker had fetched but not acked comes back
  // in seconds.
  const jetstream = JSON.parse((await stack.getConfig("cp3:jetstream")).value) as Record<string, unknown>;
  await stack.setConfig("cp3:jetstream", { value: JSON.stringify({ ...jetstream, ackWaitSeconds: 2 }) });
  await stack.setConfig("cp3:gateway", { value: JSON.stringify({ hostPort: 0, reconcileAfterSeconds: 86_400 }) });
  o = (await upStack(stack)).outputs as unknown as Outputs;
}, 600_000);

afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (stack) await destroyStack(stack, { remove: true });
}, 300_000);

describe("the integrity checker", () => {
  it("names exactly the lost keys and exits 1", async () => {
    const lines: string[] = [];
    let next = 0;
    let killed = false;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 1500) {
          const n = next++;
          const key = `chk-${n}`;
          const t = Date.now();
          const res = await fetch(`${o.gatewayUrl}/v1/records`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body: JSON.stringify({ payload: { n } }) });
          await res.arrayBuffer();
          lines.push(JSON.stringify({ t, k: key, s: res.status, d: Date.now() - t }));
          if (n === 700 && !killed) {
            killed = true;
            // A crash (restarted by the policy), not a kill through the engine (a manual stop: left down).
            for (const w of o.containers.worker) await crash(w);
          }
        }
      }),
    );
    fs.writeFileSync(ledgerFile, lines.join("\n") + "\n");
    // Let the restarted workers finish what the stream still holds: the restart takes seconds and fetched
    // messages come back after the ack wait (2 s), so wait for results and 8 s without a change.
    let last = "";
    let still = 0;
    for (let i = 0; i < 180 && still < 8; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const [pending, done] = (await sql("SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'processed') FROM records"))[0]!.split("|");
      still = pending === last && Number(done) > 3 ? still + 1 : 0;
      last = pending!;
    }
    expect(still, `the workers were still processing after 180 s (pending ${last})`).toBe(8);
    // And three results deleted behind the checker's back.
    const deleted = await sql("DELETE FROM results WHERE record_id IN (SELECT r.id FROM records r JOIN results x ON x.record_id = r.id ORDER BY r.idempotency_key LIMIT 3) RETURNING (SELECT idempotency_key FROM records WHERE id = record_id)");
    expect(deleted).toHaveLength(3);
    const withoutResult = await sql("SELECT r.idempotency_key FROM records r LEFT JOIN results x ON x.record_id = r.id WHERE x.record_id IS NULL ORDER BY 1");
    expect(withoutResult.length, "the early ack and the kill lost nothing; the test proves nothing").toBeGreaterThan(3);

    const check = await runCli(["check", "--stack", name, "--ledger", ledgerFile, "--json"], 120_000);
    expect(check.code, check.output.slice(-2000)).toBe(1);
    const result = JSON.parse(check.output.slice(check.output.indexOf("{\n"))) as { lost: { key: string }[]; acknowledged: number; passed: boolean };
    expect(result.passed).toBe(false);
    expect(result.acknowledged).toBe(1500);
    expect(result.lost.map((l) => l.key).sort()).toEqual([...withoutResult].sort());
    for (const key of deleted) expect(result.lost.map((l) => l.key)).toContain(key);

    const text = await runCli(["check", "--stack", name, "--ledger", ledgerFile], 120_000);
    expect(text.code).toBe(1);
    expect(text.output).toContain(`${withoutResult.length} acknowledged record(s) lost: `);
  }, 600_000);
});
