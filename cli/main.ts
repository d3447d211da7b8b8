// cp3: the command line of cp3-testbed. Run it as `npm run cp3 -- <verb> [flags]`.
// Exit codes: lib/exit-codes.ts (0 success, 1 verdict failed, 2 infrastructure or usage error, 130 interrupted).
import { parseVerbArgs, UsageError, verbHelp, type VerbSpec } from "./args";
import { describeExitCodes, EXIT } from "../lib/exit-codes";
import { StepError } from "../lib/progress";
import { PassphraseError } from "../lib/pulumi-env";
import { endSessionStrays } from "../lib/strays";
import { verbs } from "./verbs";

function overview(): string {
  const lines = verbs.map((v) => `  ${(v.spec.name || "(none)").padEnd(10)} ${v.spec.summary}`);
  return [
    "usage: npm run cp3 -- [verb] [flags]",
    "",
    "With no verb: the main job, `cp3 run` with its defaults (smoke load with the default chaos experiments on a fresh ci stack, integrity check, report, destroy).",
    "",
    "verbs:",
    ...lines,
    "",
    "`npm run cp3 -- <verb> --help` describes a verb's flags.",
    `exit codes: ${describeExitCodes()}`,
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === "--help" || first === "-h" || first === "help") {
    process.stdout.write(`${overview()}\n`);
    return EXIT.ok;
  }
  const isVerb = first !== undefined && !first.startsWith("-");
  const name = isVerb ? first : "";
  const verb = verbs.find((v) => v.spec.name === name);
  if (!verb) {
    const accepted = verbs.map((v) => v.spec.name).filter((n) => n !== "");
    throw new UsageError(`unknown verb "${name}": accepted verbs are ${accepted.join(", ")} (or none, for the main job)`);
  }
  const parsed = parseVerbArgs(verb.spec, isVerb ? argv.slice(1) : argv);
  if (parsed.values.help) {
    process.stdout.write(`${verbHelp(verb.spec as VerbSpec)}\n`);
    return EXIT.ok;
  }
  return verb.run(parsed);
}

main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError || err instanceof PassphraseError) {
        process.stderr.write(`cp3: ${err.message}\n`);
        process.exitCode = EXIT.usage;
      } else if (err instanceof StepError) {
        process.stderr.write(`cp3: ${err.describe()}\n`);
        process.exitCode = EXIT.usage;
      } else {
        process.stderr.write(`cp3: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = EXIT.usage;
      }
    },
  )
  // Last, whatever the outcome: no process of the run outlives it (lib/strays.ts).
  .finally(async () => {
    const strays = await endSessionStrays();
    if (strays.length > 0) process.stderr.write(`cp3: ended ${strays.length} process(es) the run left behind: ${strays.map((p) => `${p.pid} (${p.comm})`).join(", ")}\n`);
  });
