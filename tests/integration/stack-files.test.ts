// Removing the `ci` stack must leave the committed stacks/Pulumi.ci.yaml exactly as it was.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { destroyStack, openStack } from "../../cli/stacks";
import { projectRoot } from "../../lib/paths";
import { setup } from "../../toolchain/setup";

describe("removing stacks", () => {
  it("keeps the committed stacks/Pulumi.ci.yaml when the `ci` stack itself is removed", async () => {
    const { toolchain, missing } = await setup({ checkOnly: true });
    expect(missing).toEqual([]);
    const committed = path.join(projectRoot, "stacks", "Pulumi.ci.yaml");
    const before = fs.readFileSync(committed, "utf8");
    const ci = await openStack("ci", toolchain);
    // Pulumi writes the passphrase salt into the file when the stack is created...
    expect(fs.readFileSync(committed, "utf8")).toContain("encryptionsalt:");
    await destroyStack(ci, { remove: true });
    // ...and cp3 takes it out again with the stack.
    expect(fs.readFileSync(committed, "utf8")).toBe(before);
  }, 120_000);
});
