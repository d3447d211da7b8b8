// The CP3 proof as a step of the deployment itself: a Pulumi resource hook that runs `cp3 verify` (health gate,
// seed, load with chaos, drain, integrity check, report) against the testbed just deployed, inside a plain
// `pulumi up`, and fails the update when the verdict is not READY.
//
// The hook is a `before` hook (beforeCreate, beforeUpdate) of a Stash that depends on every service: Pulumi
// fails the step, and so the update, when a `before` hook throws, while an `after` hook's error is only a
// warning. The Stash holds what the proof depends on (the testbed's outputs, a hash of the description, the
// settings), so a change to any of them updates it and the proof runs again; a no-op `up` changes nothing and
// runs nothing. A failed proof leaves the Stash uncreated (or at its old inputs), so the next `up` proves again.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "../lib/paths";

/** How the proof drives the system: `cp3 verify`'s flags (`cp3 run --help` explains each). */
export interface VerifySettings {
  /** Load profile: smoke, load, stress or soak. @default "smoke" */
  readonly profile?: string;
  /** How long the load runs (90s, 10m, 24h). @default the profile's */
  readonly duration?: string;
  /** Requests per second. @default the profile's */
  readonly rate?: number;
  /** Chaos experiments: built-in names or JSON files; ["none"] for none. @default cp3's defaults */
  readonly experiments?: readonly string[];
  /** Seed of the chaos schedule. @default random, printed */
  readonly seed?: number;
  /** Where report/<run-id>/ goes, relative to the Pulumi program's folder. @default "report" */
  readonly reportDir?: string;
}

export interface VerificationArgs {
  /** The stack's name in the report. */
  readonly stack: string;
  /** The testbed's outputs (TestbedOutputs) the proof drives and judges; secrets left out. */
  readonly outputs: pulumi.Input<Record<string, unknown>>;
  /** What else the proof depends on (a hash of the system description); a change proves again. */
  readonly fingerprint: string;
  readonly settings: VerifySettings;
}

const cp3 = path.join(projectRoot, "bin", "cp3.cjs");

function verifyFlags(stack: string, s: VerifySettings): string[] {
  const flags = ["--stack", stack, "--profile", s.profile ?? "smoke", "--report-dir", path.resolve(s.reportDir ?? "report")];
  if (s.duration !== undefined) flags.push("--duration", s.duration);
  if (s.rate !== undefined) flags.push("--rate", String(s.rate));
  if (s.experiments !== undefined) flags.push("--experiments", s.experiments.join(","));
  if (s.seed !== undefined) flags.push("--seed", String(s.seed));
  return flags;
}

export class Verification extends pulumi.ComponentResource {
  constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:index:Verification", name, {}, opts);
    const flags = verifyFlags(args.stack, args.settings);
    // The settings are checked by the same code that will use them, before any child exists.
    const check = spawnSync(process.execPath, [cp3, "verify", ...flags, "--check"], { cwd: projectRoot, encoding: "utf8" });
    if (check.status !== 0) {
      const why = `${check.stderr ?? ""}${check.error?.message ?? ""}`.trim().split("\n").pop();
      throw new pulumi.ResourceError(`Verification ${name}: the verify settings are refused: ${why}`, this);
    }
    const hook = new pulumi.ResourceHook(`${name}-cp3-verify`, async (hookArgs) => {
      const input = (hookArgs.newInputs as { input?: { outputs?: Record<string, unknown> } }).input;
      await this.prove(args.stack, input?.outputs ?? {}, flags);
    });
    const stash = new pulumi.Stash(
      `${name}-proved`,
      { input: { outputs: args.outputs, fingerprint: args.fingerprint, flags } },
      { parent: this, hooks: { beforeCreate: [hook], beforeUpdate: [hook] } },
    );
    this.registerOutputs({ proved: stash.output });
  }

  /** Runs `cp3 verify` on the outputs, its progress into Pulumi's log; throws with the verdict unless READY. */
  private async prove(stack: string, outputs: Record<string, unknown>, flags: string[]): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-verify-"));
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
    const stdout: string[] = [];
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [cp3, "verify", ...flags, "--outputs-file", file], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
        const lines = (sink?: string[]) => {
          let pending = "";
          return (b: Buffer) => {
            pending += b.toString();
            const parts = pending.split("\n");
            pending = parts.pop() ?? "";
            for (const line of parts) {
              if (line.trim() === "") continue;
              sink?.push(line);
              pulumi.log.info(`cp3 verify: ${line}`, this);
            }
          };
        };
        child.stdout.on("data", lines(stdout));
        child.stderr.on("data", lines());
        child.on("error", reject);
        child.on("close", resolve);
      });
      if (code !== 0) {
        const verdict = stdout.filter((l) => /^(verdict|integrity|experiment|report):|^ {2}- /.test(l));
        throw new Error(`CP3 verification of ${stack} failed (cp3 verify exited ${code}):\n${(verdict.length > 0 ? verdict : stdout.slice(-20)).join("\n")}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
