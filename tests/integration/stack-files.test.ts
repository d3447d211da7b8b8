// Creating and removing the `ci` stack writes only into its generated stack file, never into a tracked one.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { destroyStack, openStack } from "../../lifecycle/stacks";
import { projectRoot } from "../../lib/paths";
import { stackFile, templateFile } from "../../lib/stack-files";
import { setup } from "../../toolchain/setup";

/** What git sees of the stack files and the project file (other work in this tree may change other paths). */
const gitStatus = () => spawnSync("git", ["status", "--porcelain", "--", "stacks", "Pulumi.yaml"], { cwd: projectRoot, encoding: "utf8" }).stdout;

describe("stack files", () => {
  it("take the `ci` stack's salt into the generated file, and drop it when the stack is removed", async () => {
    const { toolchain, missing } = await setup({ checkOnly: true });
    expect(missing).toEqual([]);
    const template = fs.readFileSync(templateFile("ci"), "utf8");
    const status = gitStatus();
    const ci = await openStack("ci", toolchain);
    // Pulumi writes the passphrase salt into the stack file when the stack is created: the generated one.
    expect(fs.readFileSync(stackFile("ci"), "utf8")).toContain("encryptionsalt:");
    expect(fs.readFileSync(templateFile("ci"), "utf8")).toBe(template);
    expect(gitStatus()).toBe(status);
    await destroyStack(ci, { remove: true });
    // cp3 takes the salt out with the stack; the file keeps its settings.
    const after = fs.readFileSync(stackFile("ci"), "utf8");
    expect(after).not.toContain("encryptionsalt:");
    expect(after).toContain("cp3:kind: ci");
    expect(fs.readFileSync(templateFile("ci"), "utf8")).toBe(template);
    expect(gitStatus()).toBe(status);
  }, 120_000);
});
