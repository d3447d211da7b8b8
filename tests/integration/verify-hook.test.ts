// The CP3 proof inside a plain `pulumi up` (cp3:verify, components/verification.ts): the pinned Pulumi CLI with
// the environment `cp3 setup --env` gives, as the README's by-hand section has it. A READY system: the update
// exits 0, prints the verdict and the report path, and the report exists; a second `up` with no change proves
// nothing again. A system that loses acknowledged records (the worker's test-only ack-before-commit, a worker
// killed while its commits are slow): the update exits non-zero naming the lost keys.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { newRunId } from "../../lib/run-id";
import { destroyStack, leftovers, openStack } from "../../lifecycle/stacks";
import type { RunReport } from "../../reporting/model";
import { setup } from "../../toolchain/setup";

const name = `ci-vh-${newRunId()}`;
const experimentDir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-verify-hook-"));
let stack: Stack | undefined;
let env: NodeJS.ProcessEnv;

/** The exports of `cp3 setup --env`, as `eval` would apply them. */
function setupEnv(): NodeJS.ProcessEnv {
  const out = execFileSync(process.execPath, [path.join(projectRoot, "bin", "cp3.cjs"), "setup", "--env"], { cwd: projectRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const exported = [...out.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]);
  expect(exported.map(([k]) => k)).toContain("PULUMI_BACKEND_URL");
  return { ...process.env, ...Object.fromEntries(exported) };
}

/** What the proof printed (its own lines), else the output's tail: what a failed expectation should show. */
const proofOf = (output: string) => {
  const lines = output.split("\n").filter((l) => l.includes("cp3 verify:"));
  return lines.length > 0 ? lines.join("\n").slice(-6000) : output.slice(-4000);
};

function pulumi(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn("pulumi", [...args, "--stack", name], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr.on("data", (b: Buffer) => (output += b.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

const config = async (key: string, value: string) => expect((await pulumi("config", "set", "--path", key, value)).code).toBe(0);
const up = () => pulumi("up", "--yes", "--policy-pack", "policy");

beforeAll(async () => {
  const { toolchain, missing } = await setup({ checkOnly: true });
  expect(missing.filter((m) => !m.startsWith("k6"))).toEqual([]);
  // cp3 makes the ci-<suffix> stack's file (the ci template, its own port and labels); the rest is plain pulumi.
  stack = await openStack(name, toolchain);
  env = setupEnv();
  await config("cp3:verify.enabled", "true");
  await config("cp3:verify.duration", "40s");
  await config("cp3:verify.experiments[0]", "worker-kill");
  // Seed 1 kills a worker 8 s into the load.
  await config("cp3:verify.seed", "1");
}, 300_000);

afterAll(async () => {
  fs.rmSync(experimentDir, { recursive: true, force: true });
  if (stack) await destroyStack(stack, { remove: true });
  expect(await leftovers(name)).toEqual([]);
}, 300_000);

describe("cp3:verify: the CP3 proof inside pulumi up", () => {
  it("passes a READY system with the verdict and the report, and does not prove again on a no-op up", async () => {
    const first = await up();
    expect(first.code, proofOf(first.output)).toBe(0);
    expect(first.output).toMatch(/cp3 verify: verdict: READY \(run \S+/);
    expect(first.output).toMatch(/cp3 verify: experiment worker-kill: passed/);
    const html = /cp3 verify: report: (\S+report\.html)/.exec(first.output)?.[1];
    expect(html).toBeDefined();
    const report = JSON.parse(fs.readFileSync(path.join(path.dirname(html!), "report.json"), "utf8")) as RunReport;
    expect(report).toMatchObject({ verdict: "ready", stack: name, integrity: { lost: [], duplicates: [], passed: true } });
    expect(report.integrity!.acknowledged).toBeGreaterThan(1_000);

    const again = await up();
    expect(again.code, again.output.slice(-3000)).toBe(0);
    expect(again.output).not.toContain("cp3 verify:");
    expect(again.output).toMatch(/\d+ unchanged/);
  }, 900_000);

  it("fails the update of a system that loses acknowledged records, naming the lost keys", async () => {
    // Acked before committed, and a worker killed while its commits are slow: PostgreSQL answers 500 ms late
    // through Toxiproxy, so each worker holds up to `concurrency` (32) acked, uncommitted messages when the kill
    // comes 5 s into the latency. Slow I/O rather than slow CPU: on this shared machine the workers' CPU speed
    // varied twofold, and a kill at a moment they kept up found one message in flight, or none. The gateway's
    // reconciler waits a day, so nothing repairs the loss. The change updates the workers, so the proof runs again.
    const experiment = path.join(experimentDir, "worker-kill-during-slow-commits.json");
    fs.writeFileSync(
      experiment,
      JSON.stringify({
        name: "worker-kill-during-slow-commits",
        description: "PostgreSQL answers 500 ms late for 20 s; 5 s in, the first worker is killed (SIGKILL).",
        steadyState: [{ probe: "gateway-ready" }, { probe: "consumer-lag", max: 1000 }, { probe: "error-rate", max: 0.05, windowSeconds: 10 }],
        method: [
          { kind: "latency", target: { link: "postgres" }, durationSeconds: 20, parameters: { latencyMs: 500, jitterMs: 50 } },
          { kind: "container-kill", target: { role: "worker", pick: "first" }, startAfterSeconds: 5, durationSeconds: 10 },
        ],
        recoveryDeadlineSeconds: 45,
      }),
    );
    await config("cp3:verify.experiments[0]", experiment);
    await config("cp3:worker.testOnlyAckBeforeCommit", "true");
    await config("cp3:verify.rate", "30");
    await config("cp3:gateway.reconcileAfterSeconds", "86400");
    const failed = await up();
    expect(failed.code, proofOf(failed.output)).not.toBe(0);
    expect(failed.output).toMatch(/before hook "verification-cp3-verify" failed: CP3 verification of ci-vh-\S+ failed/);
    expect(failed.output).toMatch(/verdict: NOT-READY/);
    const lost = /(\d+) acknowledged record\(s\) lost: \S+/.exec(failed.output);
    expect(lost, proofOf(failed.output)).not.toBeNull();
    console.log(`verify hook: ${lost![1]} acknowledged record(s) lost by the kill during slow commits`);
  }, 900_000);
});
