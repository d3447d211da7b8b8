// `cp3 sweep`: remove what runs left behind (see lifecycle/sweep.ts for what counts as an orphan).
import type { Parsed, VerbSpec } from "../args";
import { EXIT } from "../../lib/exit-codes";
import { say, step } from "../../lib/progress";
import { sweepOrphans } from "../../lifecycle/sweep";
import { ensureToolchain } from "./setup";

export const sweepSpec: VerbSpec = {
  name: "sweep",
  summary:
    "Remove the containers, networks, volumes and stack state of runs that ended without cleaning up (owner process gone, stack gone, or expired). Also done at the start of every `cp3 run`.",
  flags: {
    "dry-run": { type: "boolean", description: "only list what would be removed, and why the rest is kept" },
  },
};

export async function runSweep(parsed: Parsed): Promise<number> {
  const toolchain = await ensureToolchain();
  const dryRun = parsed.values["dry-run"] === true;
  const decisions = await step(dryRun ? "sweep (dry run)" : "sweep", () => sweepOrphans(toolchain, { dryRun, log: say }));
  for (const d of decisions) {
    process.stdout.write(`${d.orphan ? (dryRun ? "would remove" : "removed") : "kept"}  ${d.stack}  ${d.reason}\n`);
  }
  if (decisions.length === 0) process.stdout.write("nothing carries a cp3 stack label\n");
  return EXIT.ok;
}
