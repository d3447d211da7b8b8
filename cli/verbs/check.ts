// `cp3 check`: the integrity check on its own, against a stack that is up and a ledger from a run.
import type { Parsed, VerbSpec } from "../args";
import { UsageError } from "../args";
import { checkIntegrity, integrityReasons } from "../../integrity/check";
import { finalReadOf, systemFromOutputs, type SystemUnderTest } from "../../pipeline/system";
import { readLedger } from "../../integrity/ledger";
import { EXIT } from "../../lib/exit-codes";
import { step } from "../../lib/progress";
import { checkStackName, openStack, stackOutputs } from "../../lifecycle/stacks";
import { ensureToolchain } from "./setup";

export const checkSpec: VerbSpec = {
  name: "check",
  summary:
    "Check a stack's data against a ledger, as Jepsen's queue checker does: lost (acknowledged, never processed), duplicates, unexpected, unknown. Exit 0 when nothing is lost, duplicated or unexpected, 1 otherwise (the keys are named).",
  flags: {
    stack: { type: "string", placeholder: "S", description: "the stack whose PostgreSQL is read (it must be up)" },
    ledger: { type: "string", placeholder: "F[,F]", description: "ledger file(s), one JSON line per request (report/<run-id>/ledger.jsonl and seed-ledger.jsonl)" },
    json: { type: "boolean", description: "print the whole result as JSON" },
  },
  required: ["stack", "ledger"],
};

export async function runCheck(parsed: Parsed): Promise<number> {
  const name = String(parsed.values.stack);
  checkStackName(name);
  const files = String(parsed.values.ledger).split(",").filter((f) => f !== "");
  if (files.length === 0) throw new UsageError(`check: --ledger got "${String(parsed.values.ledger)}"; expected one or more file paths separated by commas`);
  const ledger = await step("read ledger", () => readLedger(files));
  const toolchain = await ensureToolchain();
  const stack = await step(`open stack ${name}`, () => openStack(name, toolchain, { create: false }));
  const outputs = await stackOutputs(stack, false);
  let system: SystemUnderTest;
  try {
    system = systemFromOutputs(outputs);
  } catch (err) {
    throw new UsageError(`check: stack ${name}: ${(err as Error).message}; is it up?`);
  }
  if (!system.oracle) throw new UsageError(`check: stack ${name} runs ${system.name}, whose description has no oracle; there is nothing to check against`);
  const final = await step("final read (the system's oracle)", () => finalReadOf(system));
  const result = checkIntegrity(ledger, final!);
  if (parsed.values.json === true) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else {
    process.stdout.write(`${result.attempted} attempted, ${result.acknowledged} acknowledged, ${result.processed} processed; lost ${result.lost.length}, duplicates ${result.duplicates.length}, unexpected ${result.unexpected.length}, unknown ${result.unknown.length} (${result.unknown.filter((u) => u.appeared).length} appeared), dead ${result.dead}\n`);
    for (const reason of integrityReasons(result)) process.stdout.write(`  - ${reason}\n`);
    for (const l of result.lost.slice(0, 100)) process.stdout.write(`  lost ${l.key} (acknowledged ${new Date(l.acknowledgedAt).toISOString()}, ${l.when}${l.seenThenGone ? ", seen processed earlier" : ""})\n`);
  }
  return result.passed ? EXIT.ok : EXIT.verdict;
}
