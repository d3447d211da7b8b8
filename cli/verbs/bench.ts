// `cp3 bench <name>`: benchmarks that print figures measured side by side in one run.
import type { Parsed, VerbSpec } from "../args";
import { UsageError } from "../args";
import { benchUp, formatBenchUp } from "../../bench/up";
import { benchWorkload, formatBenchWorkload } from "../../bench/workload";
import { benchInterrupts, formatBenchInterrupts } from "../../bench/interrupts";
import { ensureWorkloadDeps } from "../../toolchain/workload-deps";
import { EXIT } from "../../lib/exit-codes";
import { ensureToolchain } from "./setup";
import { loadgenFrom } from "../../load/loadgen";

const BENCHES = ["up", "workload", "interrupts", "spans"];

export const benchSpec: VerbSpec = {
  name: "bench",
  summary: "Run a benchmark and print its figures: `bench up` (warm cp3 up against plain docker run, destroy against docker rm, a flow-only rebuild against a cold up, the time to the first 202, and each operation's critical path); `bench interrupts` (N runs each interrupted at a random point by SIGINT, SIGTERM, SIGKILL of the driver or of Pulumi, then the sweep: what is left); `bench workload` (highest rate within p95 < 99 ms and no errors, against the machine's NATS and PostgreSQL ceilings; again with the flows direct, with TLS, with the monitoring on, and with tracing on as well, and the memory the monitoring adds); `bench spans` (the CPU per record of a flow's seven spans made and exported with the span spool, against the same in memory: no engine needed).",
  flags: {
    rounds: { type: "string", placeholder: "N", description: "bench up: measured rounds, 1 to 10 (default 3); bench interrupts: interrupted runs, 1 to 100 (default 20); bench spans: rounds of each, 1 to 10 (default 3)" },
    seed: { type: "string", placeholder: "N", description: "bench interrupts: seed of the interruption points; the same seed replays them (default: random, printed)" },
    rates: { type: "string", placeholder: "R1,R2,..", description: "bench workload: request rates to try in order, stopping at the first over the SLO (default 500,1000,1500,2000,2500,3000,3500,4000)" },
    "step-seconds": { type: "string", placeholder: "S", description: "bench workload: seconds per rate, 5 to 300 (default 20)" },
    json: { type: "boolean", description: "print the figures as JSON" },
  },
  passThrough: true,
};

export async function runBench(parsed: Parsed): Promise<number> {
  const [name, ...extra] = parsed.rest;
  if (name === undefined || !BENCHES.includes(name) || extra.length > 0) {
    throw new UsageError(`bench: got ${JSON.stringify(parsed.rest.join(" "))}; accepted benchmarks: ${BENCHES.join(", ")}`);
  }
  const maxRounds = name === "interrupts" ? 100 : 10;
  const roundsText = String(parsed.values.rounds ?? (name === "interrupts" ? "20" : "3"));
  const rounds = Number(roundsText);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > maxRounds) throw new UsageError(`bench: --rounds got ${JSON.stringify(roundsText)}; allowed for ${name}: an integer from 1 to ${maxRounds}`);
  const seedText = parsed.values.seed === undefined ? undefined : String(parsed.values.seed);
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 31) throw new UsageError(`bench: --seed got ${JSON.stringify(seedText)}; allowed: an integer from 0 to 2147483647`);
  const ratesText = String(parsed.values.rates ?? "500,1000,1500,2000,2500,3000,3500,4000");
  const rates = ratesText.split(",").map(Number);
  if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 20_000)) throw new UsageError(`bench: --rates got ${JSON.stringify(ratesText)}; allowed: comma-separated integers from 1 to 20000`);
  const secondsText = String(parsed.values["step-seconds"] ?? "20");
  const stepSeconds = Number(secondsText);
  if (!Number.isInteger(stepSeconds) || stepSeconds < 5 || stepSeconds > 300) throw new UsageError(`bench: --step-seconds got ${JSON.stringify(secondsText)}; allowed: an integer from 5 to 300`);
  if (name === "spans") {
    // It runs the workload's own tracing code, whose dependencies live in workload/node_modules: imported only
    // once they are there (a fresh clone has none until then).
    await ensureWorkloadDeps();
    const { benchSpans, formatBenchSpans } = await import("../../bench/spans");
    const figures = await benchSpans({ rounds });
    process.stdout.write(`${parsed.values.json ? JSON.stringify(figures, null, 2) : formatBenchSpans(figures)}\n`);
    return EXIT.ok;
  }
  const toolchain = await ensureToolchain();
  if (name === "interrupts") {
    const figures = await benchInterrupts(toolchain, { rounds, seed });
    process.stdout.write(`${parsed.values.json ? JSON.stringify(figures, null, 2) : formatBenchInterrupts(figures)}\n`);
    return figures.leaking === 0 ? EXIT.ok : EXIT.verdict;
  }
  if (name === "workload") {
    const figures = await benchWorkload(toolchain, loadgenFrom(toolchain), { rates, stepSeconds });
    process.stdout.write(`${parsed.values.json ? JSON.stringify(figures, null, 2) : formatBenchWorkload(figures)}\n`);
    return EXIT.ok;
  }
  const figures = await benchUp(toolchain, rounds);
  process.stdout.write(`${parsed.values.json ? JSON.stringify(figures, null, 2) : formatBenchUp(figures)}\n`);
  return EXIT.ok;
}
