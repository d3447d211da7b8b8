// Ending a run's strays (lib/strays.ts) on real processes: a session leader that leaves an orphan behind (a
// grandchild whose parent has exited, as a Pulumi program is when its CLI is killed) and one that ignores
// SIGTERM; and nothing at all from a process that does not lead its session.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { endSessionStrays, sessionStrays } from "../../lib/strays";
import { procStat } from "../../lib/proc-stat";

const root = path.resolve(__dirname, "../..");

// Runs as a session leader: starts an orphan (sh exits at once, its sleep lives on) and a child that ignores
// SIGTERM, then ends its strays and prints what it found.
const leader = `
import { spawn, execFileSync } from "node:child_process";
import { endSessionStrays } from "./lib/strays";
execFileSync("sh", ["-c", "sleep 300 >/dev/null 2>&1 &"]);
spawn("sh", ["-c", "trap '' TERM; sleep 300"], { stdio: "ignore" }).unref();
await new Promise((r) => setTimeout(r, 300));
const found = await endSessionStrays(1000);
process.stdout.write(JSON.stringify(found));
`;

describe("endSessionStrays", () => {
  it("ends an orphan and a process that ignores SIGTERM left in the leader's session", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", leader], { cwd: root, detached: true, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    const found = JSON.parse(out) as { pid: number; comm: string }[];
    // The sleep orphan, and the sh that traps TERM with its sleep (tsx's own helper may be there too).
    expect(found.map((p) => p.comm).filter((c) => c === "sleep" || c === "sh").sort()).toEqual(["sh", "sleep", "sleep"]);
    await new Promise((r) => setTimeout(r, 200));
    for (const p of found) expect(procStat(p.pid)?.state ?? "gone", `process ${p.pid} (${p.comm})`).toMatch(/^(gone|Z)$/);
  }, 20_000);

  it("finds nothing when this process does not lead its session", async () => {
    expect(procStat(process.pid)!.session).not.toBe(process.pid);
    expect(sessionStrays()).toEqual([]);
    expect(await endSessionStrays(0)).toEqual([]);
  });
});
