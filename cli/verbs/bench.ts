// `cp3 bench <name>`: benchmarks that print figures measured side by side in one run.
import type { Parsed, VerbSpec } from "../args";
import { UsageError } from "../args";
import { benchUp, formatBenchUp } from "../../bench/up";
import { ensureToolchain } from "./setup";

const BENCHES = ["up"];

export const benchSpec: VerbSpec = {
  name: "bench",
  summary: "Run a benchmark and print its figures: `bench up` (warm cp3 up against plain docker run, destroy, full build against a flow-only rebuild).",
  flags: {
    rounds: { type: "string", placeholder: "N", description: "measured rounds, 1 to 10 (default 3)" },
    json: { type: "boolean", description: "print the figures as JSON" },
  },
  passThrough: true,
};

export async function runBench(parsed: Parsed): Promise<number> {
  const [name, ...extra] = parsed.rest;
  if (name === undefined || !BENCHES.includes(name) || extra.length > 0) {
    throw new UsageError(`bench: got ${JSON.stringify(parsed.rest.join(" "))}; accepted benchmarks: ${BENCHES.join(", ")}`);
  }
  const roundsText = String(parsed.values.rounds ?? "3");
  const rounds = Number(roundsText);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new UsageError(`bench: --rounds got ${JSON.stringify(roundsText)}; allowed: an integer from 1 to 10`);
  const toolchain = await ensureToolchain();
  const figures = await benchUp(toolchain, rounds);
  process.stdout.write(`${parsed.values.json ? JSON.stringify(figures, null, 2) : formatBenchUp(figures)}\n`);
  return 0;
}
