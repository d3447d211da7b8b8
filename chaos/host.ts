// Commands run on the host (we are root there): nsenter into a container's network namespace for iptables,
// tc and probes, because the containers themselves have no capabilities to change their own network.
import { spawn } from "node:child_process";

export interface HostResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with a hard time limit; never throws (a failure to start is code -1 with the reason). */
export function runHost(command: string, args: string[], timeoutMs = 15_000): Promise<HostResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => resolve({ code: -1, stdout: "", stderr: e.message }));
    child.on("close", (code, signal) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") + (signal ? `killed by ${signal} after ${timeoutMs} ms` : "") }),
    );
  });
}

/** Runs a command in the network namespace of process `pid` (a container's init, from inspect State.Pid). */
export const inNetns = (pid: number, command: string, args: string[], timeoutMs?: number) => runHost("nsenter", ["-t", String(pid), "-n", "--", command, ...args], timeoutMs);

/** Like inNetns, but a non-zero exit is an error naming the command and its output. */
export async function inNetnsOk(pid: number, command: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await inNetns(pid, command, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} (netns of pid ${pid}) exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}
