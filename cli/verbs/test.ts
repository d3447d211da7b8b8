// `npm test`: set up everything the tests need (engine, toolchain, base image), then run vitest under the
// toolchain's Node.js. Tests that need the engine never skip: the set-up here provides it (and, for the
// Kubernetes tests, builds the cluster's toolchain and the kubernetes provider on first use).
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Parsed, VerbSpec } from "../args";
import { projectRoot } from "../../lib/paths";
import { EXIT } from "../../lib/exit-codes";
import { say } from "../../lib/progress";
import { buildKubernetes } from "../../lifecycle/kubernetes";
import { ensureToolchain } from "./setup";

export const testSpec: VerbSpec = {
  name: "test",
  summary: "Set up, then run the test suite (unit and real-engine integration tests) with vitest.",
  flags: {},
  rawArgs: true,
};

/** A whole run, or one naming a Kubernetes test, runs against the local cluster: its long first build happens here, with progress, not inside a test's timeout. */
const needsKubernetes = (args: string[]) => !args.some((a) => a.endsWith(".ts") || a.includes("/")) || args.some((a) => /kubernetes|cluster/.test(a));

export async function runTests(parsed: Parsed): Promise<number> {
  await ensureToolchain();
  if (needsKubernetes(parsed.rest)) await buildKubernetes();
  say("running vitest");
  const vitest = path.join(projectRoot, "node_modules", "vitest", "vitest.mjs");
  const child = spawn(process.execPath, [vitest, "run", ...parsed.rest], { cwd: projectRoot, stdio: "inherit", env: process.env });
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal ? EXIT.interrupted : EXIT.usage)));
  });
}
