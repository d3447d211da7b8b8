// lib/project-module.cjs: what Pulumi runs (the program, the policy pack) loads compiled from dist/ when dist/
// holds a build of the current sources, and from the TypeScript source otherwise (or when asked to).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { packageDistFresh } from "../../toolchain/package-build";

/** Loads lib/paths.ts through the loader in a fresh Node.js; returns which file was loaded and its projectRoot. */
function loadPaths(env: Record<string, string> = {}): { loaded: string[]; root: string } {
  const script = `
    const m = require(${JSON.stringify(path.join(projectRoot, "lib", "project-module.cjs"))})("lib/paths.ts");
    const loaded = Object.keys(require.cache).filter((k) => /[\\\\/]lib[\\\\/]paths\\.(js|ts)$/.test(k));
    process.stdout.write(JSON.stringify({ loaded, root: m.projectRoot }));`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: projectRoot, env: { ...process.env, CP3_FROM_SOURCE: "", ...env }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { loaded: string[]; root: string };
}

describe("loading the program and the policy pack", () => {
  it("takes dist/ when it is current (cp3 setup builds it), else the source", () => {
    const expected = packageDistFresh() ? path.join(projectRoot, "dist", "lib", "paths.js") : path.join(projectRoot, "lib", "paths.ts");
    expect(loadPaths()).toEqual({ loaded: [expected], root: projectRoot });
  });

  it("takes the source through ts-node when CP3_FROM_SOURCE=1", () => {
    expect(loadPaths({ CP3_FROM_SOURCE: "1" })).toEqual({ loaded: [path.join(projectRoot, "lib", "paths.ts")], root: projectRoot });
  });
});
