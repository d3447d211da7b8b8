// One ci stack for a test file, as testcontainers does it: up before the tests (with the settings given), and
// destroyed after them whatever happened, with nothing of it left; a report folder of its own, removed too.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, expect } from "vitest";
import { destroyStack, leftovers, openStack, upStack } from "../../lifecycle/stacks";
import { setup } from "../../toolchain/setup";

export interface StackFixture<O> {
  name: string;
  reportDir: string;
  /** Set once the stack is up. */
  stack: Stack;
  outputs: O;
}

/** `settings`: config paths (setAllConfig with path: true), e.g. `{ "cp3:tls.enabled": { value: "true" } }`. */
export function upStackForFile<O>(name: string, settings: ConfigMap = {}): StackFixture<O> {
  const f = { name, reportDir: fs.mkdtempSync(path.join(os.tmpdir(), `cp3-${name}-`)) } as StackFixture<O>;
  beforeAll(async () => {
    const result = await setup({ checkOnly: true });
    expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
    f.stack = await openStack(name, result.toolchain);
    if (Object.keys(settings).length > 0) await f.stack.setAllConfig(settings, true);
    f.outputs = (await upStack(f.stack)).outputs as O;
  }, 900_000);
  afterAll(async () => {
    // Undefined when set-up failed before the stack was opened: there is nothing to destroy then.
    if (f.stack) await destroyStack(f.stack, { remove: true }).catch(() => undefined);
    expect(await leftovers(name)).toEqual([]);
    fs.rmSync(f.reportDir, { recursive: true, force: true });
  }, 600_000);
  return f;
}
