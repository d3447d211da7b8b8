import { spawn, type SpawnOptions } from "node:child_process";
import * as fs from "node:fs";
import { StepError } from "./progress";
import { logFile } from "./paths";

export interface RunOptions {
  /** The step this command belongs to, for the error message. */
  step: string;
  /** Log file name (under the cache's logs/); the command's stdout and stderr go there. */
  log?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes to write to the command's stdin. */
  input?: string | Buffer;
  signal?: AbortSignal;
}

/**
 * Runs a command with its output in a log file and returns the captured stdout. A non-zero exit becomes a
 * StepError naming the step, the command and the log.
 */
export function run(command: string, args: string[], options: RunOptions): Promise<string> {
  const log = logFile(options.log ?? options.step);
  const out = fs.createWriteStream(log, { flags: "w" });
  const printable = [command, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    };
    if (options.signal) spawnOptions.signal = options.signal;
    const child = spawn(command, args, spawnOptions);
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => {
      chunks.push(b);
      out.write(b);
    });
    child.stderr?.on("data", (b: Buffer) => out.write(b));
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on("error", (err) => {
      out.end();
      reject(new StepError(options.step, `could not start ${command}: ${err.message}`, printable, log));
    });
    child.on("close", (code, signal) => {
      out.end();
      if (code === 0) resolve(Buffer.concat(chunks).toString("utf8"));
      else reject(new StepError(options.step, `exited with ${code ?? signal}`, printable, log));
    });
  });
}

/** Runs a command and reports only whether it succeeded (for probes such as `x --version`). */
export async function succeeds(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    return await run(command, args, { step: "probe", log: "probe", env });
  } catch {
    return undefined;
  }
}
