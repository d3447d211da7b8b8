// The README's "Running `pulumi up` by hand" commands, exactly as written there, in a fresh clone: they bring the
// ci stack up and down, leave nothing on the engine, and git sees no change after any one of them.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leftovers, removeLabeled } from "../../lifecycle/stacks";
import { projectRoot } from "../../lib/paths";
import { freshClone, type Clone } from "./fresh-clone";

/** The shell lines of the first `sh` block in the README's section `heading`. */
function readmeCommands(heading: string): string[] {
  const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith(heading));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`README.md: no sh block under "## ${heading}"`);
  return block.split("\n").filter((line) => line.trim() !== "");
}

interface Step {
  command: string;
  code: number;
  ms: number;
  gitStatus: string;
}

/**
 * Runs the lines in one bash, as a user types them into one shell (so `eval` carries its exports on), with
 * `git status --porcelain` after each. PULUMI_SKIP_CONFIRMATIONS answers Pulumi's prompts as a user would.
 */
function runLines(clone: Clone, lines: string[]): Promise<{ steps: Step[]; output: string }> {
  const marker = "::cp3-step::";
  const script = lines
    .map((line, i) => `t0=$(date +%s%N)\n${line}\ncode=$?\necho "${marker}${i} $code $(( ($(date +%s%N) - t0) / 1000000 ))"; git status --porcelain | sed 's/^/${marker}status /'\n[ $code -eq 0 ] || exit $code`)
    .join("\n");
  const child = spawn("bash", ["-c", script], { cwd: clone.dir, env: { ...clone.env, PULUMI_SKIP_CONFIRMATIONS: "true" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr.on("data", (b: Buffer) => (output += b.toString()));
  return new Promise((resolve) => {
    child.on("close", () => {
      const steps: Step[] = [];
      for (const line of output.split("\n")) {
        const step = new RegExp(`^${marker}(\\d+) (\\d+) (\\d+)$`).exec(line);
        if (step) steps.push({ command: lines[Number(step[1])]!, code: Number(step[2]), ms: Number(step[3]), gitStatus: "" });
        else if (line.startsWith(`${marker}status `) && steps.length > 0) steps[steps.length - 1]!.gitStatus += `${line.slice(marker.length + 7)}\n`;
      }
      resolve({ steps, output });
    });
  });
}

let clone: Clone;

beforeAll(async () => {
  // The by-hand commands use the stack named `ci`, whose container names are fixed.
  expect(await leftovers("ci"), "a stack named ci is up on this engine; this test needs its names").toEqual([]);
  clone = freshClone("by-hand");
});

afterAll(async () => {
  // Anything labelled ci now is this test's (there was none before it): a failed step must not leave it.
  if (clone && (await leftovers("ci")).length > 0) await removeLabeled("ci");
  clone?.remove();
}, 300_000);

describe("the README's `pulumi up` by hand, in a fresh clone", () => {
  it("brings the ci stack up and down, leaves nothing behind, and git status is clean after every command", async () => {
    const lines = readmeCommands("Running `pulumi up` by hand");
    expect(lines.some((l) => /^pulumi up\b/.test(l))).toBe(true);
    const { steps, output } = await runLines(clone, lines);
    // Figures for the report, not timed assertions.
    process.stdout.write(`README by hand in a fresh clone:\n${steps.map((s) => `  ${(s.ms / 1000).toFixed(1).padStart(6)} s  exit ${s.code}  ${s.command}\n`).join("")}`);
    expect(
      steps.map((s) => [s.command, s.code, s.gitStatus]),
      output.slice(-5000),
    ).toEqual(lines.map((l) => [l, 0, ""]));
    expect(await leftovers("ci")).toEqual([]);
  }, 1_500_000);
});
