// Progress lines for long work: each step says its name and the elapsed time; a failure says which step,
// which command and where its log is.

const started = Number(process.env.CP3_BOOTSTRAP_STARTED ?? Date.now());

export function elapsed(): string {
  return `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
}

export function say(message: string): void {
  process.stderr.write(`[cp3 ${elapsed()}] ${message}\n`);
}

/** An error from one step of a long job, carrying what a user needs to look into it. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly command?: string,
    readonly log?: string,
  ) {
    super(message);
    this.name = "StepError";
  }

  describe(): string {
    const lines = [`step "${this.step}" failed: ${this.message}`];
    if (this.command) lines.push(`  command: ${this.command}`);
    if (this.log) lines.push(`  log: ${this.log}`);
    return lines.join("\n");
  }
}

/** Runs one named step, printing its start, its end with the time it took, or where it failed. */
export async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  say(`step ${name} ...`);
  try {
    const result = await work();
    say(`step ${name} done (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    return result;
  } catch (err) {
    // Errors that already say what is wrong and what is accepted reach the user as they are.
    if (err instanceof StepError || (err instanceof Error && err.name === "UsageError")) throw err;
    throw new StepError(name, err instanceof Error ? err.message : String(err));
  }
}
