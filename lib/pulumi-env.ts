// The environment every Pulumi invocation gets: the toolchain first on PATH, nothing that tries the network,
// a local state backend inside the project, and the stack's secrets passphrase.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "./paths";

export type StackKind = "ci" | "dev" | "staging";

export const stackKinds: readonly StackKind[] = ["ci", "dev", "staging"];

/** `ci`, `ci-<run>`, `k8s-ci-<run>`: ci stacks; `dev`, `staging`: the long-lived ones. */
export function stackKind(stack: string): StackKind | undefined {
  const base = stack.split("/").pop() ?? stack;
  if (base === "ci" || isEphemeral(base)) return "ci";
  if (base === "dev" || base === "staging") return base;
  return undefined;
}

/** `ci-<run>` (Docker) and `k8s-ci-<run>` (Kubernetes): made for one run, thrown away whole after it. */
export function isEphemeral(stack: string): boolean {
  const base = stack.split("/").pop() ?? stack;
  return base.startsWith("ci-") || base.startsWith("k8s-ci-");
}

/** The family a stack's name gives it to run on: `k8s-ci-<run>` on Kubernetes; the rest as their settings say. */
export const namedForKubernetes = (stack: string): boolean => (stack.split("/").pop() ?? stack).startsWith("k8s-ci-");

export function stateDir(): string {
  return path.join(projectRoot, ".pulumi-state");
}

export function backendUrl(): string {
  if (process.env.PULUMI_BACKEND_URL !== undefined) return process.env.PULUMI_BACKEND_URL;
  // Pulumi's file backend refuses a folder that does not exist ("unable to open state directory"), and a fresh
  // clone has none until a ci stack's generated passphrase goes there: its first stack may well be dev.
  fs.mkdirSync(stateDir(), { recursive: true });
  return `file://${stateDir()}`;
}

/** ci stacks share one generated passphrase kept beside their state; it is created on first use. */
export function ciPassphraseFile(): string {
  const file = path.join(stateDir(), "ci.passphrase");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(stateDir(), { recursive: true });
    fs.writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return file;
}

export class PassphraseError extends Error {}

/** The secrets passphrase variables for a stack; dev and staging must bring their own. */
export function passphraseEnv(stack: string): Record<string, string> {
  if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined || process.env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined) {
    return {};
  }
  if (stackKind(stack) === "ci") return { PULUMI_CONFIG_PASSPHRASE_FILE: ciPassphraseFile() };
  throw new PassphraseError(
    `stack "${stack}" needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): only ci stacks get a generated passphrase`,
  );
}

/** Variables that keep Pulumi offline and point it at the project's state. */
export function offlineEnv(binDir: string): Record<string, string> {
  return {
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_BACKEND_URL: backendUrl(),
    // Type checking is the job of `npm run typecheck` and the tests; the engine only needs the program run.
    PULUMI_NODEJS_TRANSPILE_ONLY: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
  };
}
