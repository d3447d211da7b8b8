// `cp3 bench interrupts N`: starts N runs of the main job (`cp3 run --duration 60s`: the smoke load with the
// default chaos) and interrupts each at a random point, the way runs really die: Ctrl-C (SIGINT to the job's
// process group), a CI runner's SIGTERM, the driver SIGKILLed (out of memory), or the Pulumi CLI SIGKILLed
// mid-operation (the first one running from that point: up's or destroy's). After each, the orphan sweep runs (as the next run's start would), and the bench looks for
// anything left: the stack's containers, networks, volumes and namespaces, its state, its owner entry, any
// process of the run still alive, and chaos leftovers (a process, iptables rule or qdisc with our tag) on the
// host. The seed replays the points.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mulberry32 } from "../chaos/schedule";
import { runHost } from "../chaos/host";
import { QDISC_HANDLE, TAG_PREFIX } from "../chaos/netns";
import { readOwners, stackInCheckout } from "../lifecycle/owners";
import { leftovers } from "../lifecycle/stacks";
import { sweepOrphans } from "../lifecycle/sweep";
import { projectRoot } from "../lib/paths";
import { procStat } from "../lib/proc-stat";
import { poll, sleep } from "../lib/poll";
import { say } from "../lib/progress";
import type { Toolchain } from "../toolchain/setup";

export const INTERRUPT_KINDS = ["sigint", "sigterm", "sigkill-driver", "sigkill-pulumi"] as const;
export type InterruptKind = (typeof INTERRUPT_KINDS)[number];

export interface InterruptOutcome {
  round: number;
  kind: InterruptKind;
  stack: string;
  /** Seconds after the stack was opened that the signal went out; undefined when the run ended first. */
  atSeconds?: number;
  /** The last step the run's output named before the signal. */
  during: string;
  exitCode: number | null;
  /** What the sweep removed for this stack. */
  swept: string[];
  /** Everything still there afterwards; empty is the goal. */
  left: string[];
}

export interface InterruptFigures {
  rounds: number;
  seed: number;
  outcomes: InterruptOutcome[];
  /** Rounds that left anything. */
  leaking: number;
}

/** Processes whose session is `sid` (the CLI's own: bin/cp3.cjs starts it with a session of its own). */
function sessionProcesses(sid: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry); // undefined: gone meanwhile
    if (stat?.session === sid) found.push({ pid: Number(entry), comm: stat.comm });
  }
  return found;
}

/** Host processes carrying the chaos tag in their command line (a stress process that outlived its container). */
function taggedHostProcesses(): number[] {
  return fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(TAG_PREFIX);
    } catch {
      return false;
    }
  }).map(Number);
}

/** Chaos leftovers in the host's own network namespace: our tagged iptables rules and our root qdisc. */
async function hostNetworkLeftovers(): Promise<string[]> {
  const left: string[] = [];
  const rules = await runHost("iptables-save", []);
  for (const line of rules.stdout.split("\n").filter((l) => l.includes(TAG_PREFIX))) left.push(`host iptables rule ${line.trim()}`);
  const qdiscs = await runHost("tc", ["qdisc", "show"]);
  for (const line of qdiscs.stdout.split("\n").filter((l) => l.includes(` ${QDISC_HANDLE} `))) left.push(`host qdisc ${line.trim()}`);
  return left;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startRun(reportDir: string): Run {
  const child = spawn(process.execPath, [path.join(projectRoot, "bin", "cp3.cjs"), "run", "--duration", "60s", "--report-dir", reportDir], {
    cwd: projectRoot,
    // Its own process group, like a terminal's foreground job: Ctrl-C reaches the whole group.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (b: Buffer) => (log += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  return { child, output: () => log, exited: new Promise((resolve) => child.on("close", (code) => resolve(code))) };
}

const lastStep = (log: string) => [...log.matchAll(/step ([^\n]*?) \.\.\.\n/g)].at(-1)?.[1] ?? "start";

/** One interrupted run, the sweep after it, and what is left. */
async function interruptOne(round: number, kind: InterruptKind, random: () => number, toolchain: Toolchain, reportDir: string, maxDelayMs: number): Promise<InterruptOutcome> {
  const run = startRun(reportDir);
  const bootstrap = run.child.pid!;
  const opened = await poll(async () => /step open stack (ci-[a-z0-9-]+)/.exec(run.output())?.[1] ?? (run.child.exitCode !== null ? "" : undefined), { timeoutMs: 300_000, intervalMs: 200, what: "the run opening its stack" });
  const stack = opened.done ? opened.value : "";
  if (stack === "") throw new Error(`round ${round}: the run never opened a stack; its output:\n${run.output().slice(-3000)}`);
  const openedAt = Date.now();
  // The CLI itself is the bootstrap's child, leader of its own session.
  const cli = Number(fs.readFileSync(`/proc/${bootstrap}/task/${bootstrap}/children`, "utf8").trim().split(/\s+/)[0]);
  await sleep(random() * maxDelayMs);
  let during = lastStep(run.output());
  let atSeconds: number | undefined;
  const signal = (send: () => void) => {
    if (run.child.exitCode !== null) return;
    try {
      send();
      atSeconds = (Date.now() - openedAt) / 1000;
    } catch {
      // the process ended just before the signal
    }
  };
  if (kind === "sigint") signal(() => process.kill(-bootstrap, "SIGINT"));
  else if (kind === "sigterm") signal(() => process.kill(bootstrap, "SIGTERM"));
  else if (kind === "sigkill-driver") signal(() => process.kill(cli, "SIGKILL"));
  else {
    // The Pulumi CLI runs only during up and destroy: the first one running from this point on.
    const pulumi = await poll(async () => sessionProcesses(cli).find((p) => p.comm === "pulumi")?.pid ?? (run.child.exitCode !== null ? 0 : undefined), { timeoutMs: 300_000, intervalMs: 50, what: "a Pulumi CLI process of the run" });
    during = lastStep(run.output());
    if (pulumi.done && pulumi.value > 0) signal(() => process.kill(pulumi.value, "SIGKILL"));
  }
  const left: string[] = [];
  // The timer is cleared once the run ends, or it would hold the bench open for its whole length.
  const ended = new AbortController();
  const finished = await Promise.race([run.exited, sleep(240_000, ended.signal).then(() => "timeout" as const)]);
  ended.abort();
  if (finished === "timeout") {
    left.push("the run still going 240 s after the signal (killed)");
    process.kill(-bootstrap, "SIGKILL");
  }
  // What the run started may outlive it (a killed driver's Pulumi CLI finishing its operation): give it time.
  const quiet = await poll(async () => (sessionProcesses(cli).length === 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 500, what: "the run's processes ending" });
  if (!quiet.done) {
    const alive = sessionProcesses(cli);
    left.push(...alive.map((p) => `process ${p.pid} (${p.comm}) of the run still alive 120 s after it ended (killed)`));
    for (const p of alive) process.kill(p.pid, "SIGKILL");
  }
  const swept: string[] = [];
  await sweepOrphans(toolchain, { dryRun: false, log: (line) => line.includes(stack) && swept.push(line) }).catch((err: unknown) => {
    // The Automation API's message starts "code: -2" for every failure; what failed is in the lines after it.
    const text = (err instanceof Error ? err.message : String(err)).split("\n").map((l) => l.trim()).filter(Boolean).join(" | ");
    left.push(`the sweep failed: ${text.slice(0, 600)}`);
  });
  left.push(...(await leftovers(stack)));
  if (stackInCheckout(projectRoot, stack)) left.push(`stack state ${stack}`);
  if (readOwners().has(stack)) left.push(`owner entry ${stack}`);
  left.push(...taggedHostProcesses().map((pid) => `tagged process ${pid}`), ...(await hostNetworkLeftovers()));
  return { round, kind, stack, ...(atSeconds !== undefined ? { atSeconds } : {}), during, exitCode: finished === "timeout" ? null : finished, swept, left };
}

export interface InterruptOptions {
  rounds: number;
  seed: number;
  /** @default every kind, in turn */
  kinds?: readonly InterruptKind[];
  /**
   * The latest point, in seconds after the stack opened, of the signal (for the Pulumi CLI: of the wait for one).
   * @default 100, about a whole run here (up, seed, 60 s of load with the default chaos, drain, report,
   * destroy), so some runs end first.
   */
  maxDelaySeconds?: number;
}

export async function benchInterrupts(toolchain: Toolchain, o: InterruptOptions): Promise<InterruptFigures> {
  const random = mulberry32(o.seed);
  const kinds = o.kinds ?? INTERRUPT_KINDS;
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-interrupts-"));
  const outcomes: InterruptOutcome[] = [];
  say(`interrupts: ${o.rounds} runs, seed ${o.seed} (--seed ${o.seed} replays the same points)`);
  try {
    for (let round = 1; round <= o.rounds; round++) {
      // Every kind in turn, so any N covers them evenly; the point in the run is the random part.
      const kind = kinds[(round - 1) % kinds.length]!;
      const outcome = await interruptOne(round, kind, random, toolchain, reportDir, (o.maxDelaySeconds ?? 100) * 1000);
      outcomes.push(outcome);
      say(`interrupts: round ${round}/${o.rounds}: ${formatOutcome(outcome)}`);
    }
  } finally {
    fs.rmSync(reportDir, { recursive: true, force: true });
  }
  return { rounds: o.rounds, seed: o.seed, outcomes, leaking: outcomes.filter((x) => x.left.length > 0).length };
}

function formatOutcome(x: InterruptOutcome): string {
  const when = x.atSeconds === undefined ? "the run ended before the signal" : `${x.kind} ${x.atSeconds.toFixed(1)} s after the stack opened, during "${x.during}"`;
  return `${x.stack}: ${when}; exit ${x.exitCode ?? "none"}; sweep removed ${x.swept.length === 0 ? "nothing" : x.swept.length}; left ${x.left.length === 0 ? "nothing" : x.left.join(", ")}`;
}

export function formatBenchInterrupts(f: InterruptFigures): string {
  const byKind = INTERRUPT_KINDS.map((k) => {
    const xs = f.outcomes.filter((x) => x.kind === k);
    return `  ${k.padEnd(15)} ${xs.length} runs, ${xs.filter((x) => x.atSeconds !== undefined).length} interrupted, ${xs.filter((x) => x.left.length > 0).length} left something`;
  });
  return [
    `interrupted runs (seed ${f.seed}): ${f.rounds}, leaving something behind: ${f.leaking}`,
    ...byKind,
    ...f.outcomes.map((x) => `  round ${x.round}: ${formatOutcome(x)}`),
  ].join("\n");
}
