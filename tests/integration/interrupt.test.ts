// Ctrl-C during `up`: the main job cancels the update, still destroys the stack, and exits 130.
// (Ctrl-C during the load is in run.test.ts.)
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { leftovers } from "../../lifecycle/stacks";
import { projectRoot } from "../../lib/paths";
import { poll } from "../../lib/poll";

describe("an interrupted main job", () => {
  it("destroys its stack and exits 130 after SIGINT during up", async () => {
    // Its own process group, like a terminal's foreground job, so the SIGINT reaches the whole group.
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-interrupt-"));
    const child = spawn(process.execPath, [path.join(projectRoot, "bin", "cp3.cjs"), "--report-dir", reports], {
      cwd: projectRoot,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    const collect = (b: Buffer) => (log += b.toString());
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    // Interrupt once Pulumi is creating resources.
    await poll(async () => (/creating/.test(log) ? true : undefined), { timeoutMs: 120_000, intervalMs: 100, what: "Pulumi creating resources" });
    expect(log, "the run never reached `up`").toMatch(/creating/);
    const stack = /step open stack (ci-[a-z0-9-]+)/.exec(log)?.[1];
    expect(stack).toBeDefined();
    process.kill(-child.pid!, "SIGINT");

    expect(await exited).toBe(130);
    expect(log).toContain("SIGINT received: cancelling the running step, then cleaning up");
    expect(log).not.toContain("SIGINT again");
    expect(log).toMatch(new RegExp(`step destroy ${stack} done`));
    expect(await leftovers(stack!)).toEqual([]);
    fs.rmSync(reports, { recursive: true, force: true });
  }, 300_000);
});
