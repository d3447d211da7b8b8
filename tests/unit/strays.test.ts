// Ending a run's strays (lib/strays.ts) on real processes: a session leader that leaves an orphan behind (a
// grandchild whose parent has exited, as a Pulumi program is when its CLI is killed) and one that ignores
// SIGTERM; and nothing at all from a process that does not lead its session.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { endSessionStrays, sessionStrays } from "../../lib/strays";
import { procStat } from "../../lib/proc-stat";

const root = path.resolve(__dirname, "../..");

// Runs as a session leader: leaves two orphans (sh exits at once, what it started lives on), one of which ignores
// SIGTERM, and a child of its own; then ends its strays and prints what it found.
const leader = `
import { spawn, execFileSync } from "node:child_process";
import { endSessionStrays } from "./lib/strays";
execFileSync("sh", ["-c", "sleep 300 >/dev/null 2>&1 &"]);
execFileSync("sh", ["-c", "(trap '' TERM; sleep 300) >/dev/null 2>&1 &"]);
// A child of its own, not a stray: the leader waits for what it runs.
const own = spawn("sleep", ["300"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 300));
const found = await endSessionStrays(1000);
process.stdout.write(JSON.stringify({ found, own: own.pid }));
own.kill("SIGKILL");
`;

describe("endSessionStrays", () => {
  it("ends the orphans left in the leader's session, one that ignores SIGTERM too, and not its own child", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", leader], { cwd: root, detached: true, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    const { found, own } = JSON.parse(out) as { found: { pid: number; comm: string }[]; own: number };
    // Both sleeps (the shell may or may not fork before the second one's exec); not the leader's own child.
    expect(found.filter((p) => p.comm === "sleep")).toHaveLength(2);
    expect(found.filter((p) => p.comm !== "sleep" && p.comm !== "sh")).toEqual([]);
    expect(found.map((p) => p.pid)).not.toContain(own);
    await new Promise((r) => setTimeout(r, 200));
    for (const p of found) expect(procStat(p.pid)?.state ?? "gone", `process ${p.pid} (${p.comm})`).toMatch(/^(gone|Z)$/);
  }, 20_000);

  it("finds nothing when this process does not lead its session", async () => {
    expect(procStat(process.pid)!.session).not.toBe(process.pid);
    expect(sessionStrays()).toEqual([]);
    expect(await endSessionStrays(0)).toEqual([]);
  });
});
