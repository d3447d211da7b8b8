// Type errors and lint findings fail the suite, so CI (which runs only `npm test`) catches them.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";

const bin = (name: string) => path.join(projectRoot, "node_modules", ".bin", name);
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: projectRoot, encoding: "utf8", timeout: 240_000 });

describe("static checks", () => {
  it.each([
    ["the project", ["-p", "tsconfig.json"]],
    ["the workload", ["-p", "workload/tsconfig.json"]],
  ])("%s type-checks", (_name, args) => {
    const r = run(bin("tsc"), args);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 240_000);

  it("lints clean", () => {
    const r = run(bin("eslint"), ["."]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 240_000);
});
