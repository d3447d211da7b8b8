// A new user's dev stack: on a fresh clone, with a passphrase of their own, `cp3 up --stack dev` comes up, a
// saved change to a flow is live again without a rebuild (hot reload), `cp3 destroy --stack dev` leaves nothing
// on the engine, and git sees no change after any of it.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leftovers } from "../../lifecycle/stacks";
import { getJson } from "../../lib/http-probe";
import { poll } from "../../lib/poll";
import { runCli } from "./cli-process";
import { freshClone, type Clone } from "./fresh-clone";

let clone: Clone;
let place: { root: string; env: NodeJS.ProcessEnv };
let gatewayUrl: string;
let destroyed = false;
const figures: string[] = [];

/** The gateway process's start (prom-client's process_start_time_seconds): it changes when the flow restarts. */
async function gatewayStart(): Promise<string | undefined> {
  try {
    const res = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(1_000) });
    return /^process_start_time_seconds(?:\{[^}]*\})? (\S+)$/m.exec(await res.text())?.[1];
  } catch {
    return undefined;
  }
}

const ready = async () => (await getJson(`${gatewayUrl}/readyz`, 1_000).catch(() => ({ status: 0 }))).status === 200;

/** Polls (every 50 ms, up to `deadlineMs`) until the gateway runs a process other than `before` and is ready. */
async function restartedAndReady(before: string | undefined, deadlineMs: number): Promise<boolean> {
  const r = await poll(
    async () => {
      const start = await gatewayStart();
      return start !== undefined && start !== before && (await ready()) ? true : undefined;
    },
    { timeoutMs: deadlineMs, intervalMs: 50, what: "a restarted, ready gateway" },
  );
  return r.done;
}

/** Whether something on this machine already listens on 127.0.0.1:`port`. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

beforeAll(async () => {
  // The dev stack has fixed names and port 18080: another dev stack, or anything on that port, would collide.
  expect(await leftovers("dev"), "a dev stack is already up on this engine; this test needs its names").toEqual([]);
  expect(await portTaken(18080), "127.0.0.1:18080 is taken by another process; the dev stack's gateway needs it").toBe(false);
  clone = freshClone("dev");
  place = { root: clone.dir, env: { ...clone.env, PULUMI_CONFIG_PASSPHRASE: randomBytes(18).toString("base64url") } };
  const started = Date.now();
  const up = await runCli(["up", "--stack", "dev"], 1_200_000, place);
  figures.push(`up --stack dev: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(up.code, up.output.slice(-4000)).toBe(0);
  gatewayUrl = /^gatewayUrl: (\S+)$/m.exec(up.output)?.[1] ?? "";
}, 1_300_000);

afterAll(async () => {
  if (clone && !destroyed) await runCli(["destroy", "--stack", "dev"], 600_000, place);
  clone?.remove();
  process.stdout.write(`dev on a fresh clone: ${figures.join("; ")}\n`);
}, 700_000);

describe("the dev stack on a fresh clone, with the user's own passphrase", () => {
  it("comes up on 127.0.0.1:18080, and git sees no change", async () => {
    expect(gatewayUrl).toBe("http://127.0.0.1:18080");
    expect(await ready()).toBe(true);
    expect(clone.gitStatus()).toBe("");
  });

  it("restarts a flow when its code is saved, ready again without a rebuild", async () => {
    const file = path.join(clone.dir, "workload", "flows", "gateway", "main.ts");
    const original = fs.readFileSync(file, "utf8");
    try {
      const before = await gatewayStart();
      expect(before).toBeDefined();
      const saved = Date.now();
      fs.writeFileSync(file, `${original}\n// saved by the dev hot-reload test\n`);
      expect(await restartedAndReady(before, 60_000)).toBe(true);
      // A figure for the report, not a timed assertion: how long from the save until /readyz answered 200.
      figures.push(`save to /readyz 200: ${((Date.now() - saved) / 1000).toFixed(2)} s`);
    } finally {
      // The saved change undone (the flow restarts once more), so the clone is as it was.
      const before = await gatewayStart();
      fs.writeFileSync(file, original);
      expect(await restartedAndReady(before, 60_000)).toBe(true);
    }
    expect(clone.gitStatus()).toBe("");
  }, 150_000);

  it("is destroyed with nothing left on the engine, and git sees no change", async () => {
    const started = Date.now();
    const destroy = await runCli(["destroy", "--stack", "dev"], 600_000, place);
    figures.push(`destroy --stack dev: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(destroy.code, destroy.output.slice(-4000)).toBe(0);
    destroyed = true;
    expect(await leftovers("dev")).toEqual([]);
    expect(clone.gitStatus()).toBe("");
  }, 700_000);
});
