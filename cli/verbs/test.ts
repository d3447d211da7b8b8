// `npm test`: set up everything the tests need (engine, toolchain, base image), then run vitest under the
// toolchain's Node.js. Tests that need the engine never skip: the set-up here provides it.
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Parsed, VerbSpec } from "../args";
import { projectRoot } from "../../lib/paths";
import { EXIT } from "../../lib/exit-codes";
import { say } from "../../lib/progress";
import { ensureToolchain } from "./setup";

export const testSpec: VerbSpec = {
  name: "test",
  summary: "Set up, then run the test suite (unit and real-engine integration tests) with vitest.",
  flags: {},
  rawArgs: true,
};

export async function runTests(parsed: Parsed): Promise<number> {
  await ensureToolchain();
  say("running vitest");
  const vitest = path.join(projectRoot, "node_modules", "vitest", "vitest.mjs");
  const child = spawn(process.execPath, [vitest, "run", ...parsed.rest], { cwd: projectRoot, stdio: "inherit", env: process.env });
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal ? EXIT.interrupted : EXIT.usage)));
  });
}
