// Command-line parsing for `cp3 <verb> [flags]`. Every mistake becomes one UsageError line that names what
// was wrong and what is accepted; the CLI exits 2 on it before touching anything.
import { parseArgs } from "node:util";
import { UsageError } from "../lib/usage-error";

export { UsageError };

export type FlagSpec = Record<string, { type: "string" | "boolean"; description: string; placeholder?: string }>;

export interface VerbSpec {
  name: string;
  summary: string;
  flags: FlagSpec;
  /** Flags that must be given. */
  required?: string[];
  /** Extra words after the flags are allowed (bench names, test files). */
  passThrough?: boolean;
  /** Every argument goes to another program untouched (`test` -> vitest); only a lone --help is cp3's. */
  rawArgs?: boolean;
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  rest: string[];
}

const helpFlag = { help: { type: "boolean", description: "print this help" } } as const;

export function parseVerbArgs(spec: VerbSpec, argv: string[]): Parsed {
  if (spec.rawArgs) return argv.length === 1 && argv[0] === "--help" ? { values: { help: true }, rest: [] } : { values: {}, rest: argv };
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, flag] of Object.entries({ ...spec.flags, ...helpFlag })) options[name] = { type: flag.type };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: spec.passThrough === true });
  } catch (err) {
    const accepted = Object.keys(spec.flags).map((f) => `--${f}`);
    const detail = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new UsageError(`${spec.name}: ${detail}; accepted flags: ${[...accepted, "--help"].join(", ")}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (!values.help) {
    for (const name of spec.required ?? []) {
      if (values[name] === undefined || values[name] === "") {
        throw new UsageError(`${spec.name}: --${name} is required (${spec.flags[name]?.description ?? ""})`);
      }
    }
  }
  return { values, rest: parsed.positionals };
}

export function verbHelp(spec: VerbSpec): string {
  const flags = Object.entries({ ...spec.flags, ...helpFlag }).map(([name, f]) => {
    const placeholder = "placeholder" in f && f.placeholder ? ` ${f.placeholder}` : "";
    return `  --${name}${placeholder}`.padEnd(28) + f.description;
  });
  return [`usage: npm run cp3 -- ${spec.name} [flags]${spec.rawArgs ? " [vitest arguments]" : spec.passThrough ? " [names]" : ""}`, "", spec.summary, "", "flags:", ...flags].join("\n");
}
