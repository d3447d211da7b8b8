// /proc/<pid>/stat parsing (lib/proc-stat.ts), on real processes: this one, and one whose command name holds a
// space and parentheses, which would shift every field of a naive split.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hasExited, procStat } from "../../lib/proc-stat";

describe("procStat", () => {
  it("reads this process: its parent, group, session and a start time", () => {
    const s = procStat(process.pid)!;
    expect(s.ppid).toBe(process.ppid);
    expect(s.state).toMatch(/^[RS]$/);
    expect(s.startTicks).toMatch(/^\d+$/);
    expect(hasExited(s)).toBe(false);
  });

  it("counts the fields after the command name, whatever it holds", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-proc-"));
    const odd = path.join(dir, "a) b (c");
    fs.copyFileSync("/bin/sleep", odd);
    fs.chmodSync(odd, 0o755);
    const child = spawn(odd, ["30"], { detached: true, stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const s = procStat(child.pid!)!;
      expect(s.comm).toBe("a) b (c");
      expect({ ppid: s.ppid, pgrp: s.pgrp, session: s.session }).toEqual({ ppid: process.pid, pgrp: child.pid, session: child.pid });
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers undefined for a process that does not exist", () => {
    expect(procStat(2 ** 22 + 1)).toBeUndefined();
  });
});
