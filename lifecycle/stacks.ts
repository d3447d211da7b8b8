// Stack operations through Pulumi's Automation API with the project's toolchain, state backend and passphrase.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation";
import * as docker from "../lib/docker-api";
import { buildLogDir, projectRoot, pruneBuildLogs } from "../lib/paths";
import { backendUrl, isEphemeral, namedForKubernetes, passphraseEnv, stackKind, stateDir } from "../lib/pulumi-env";
import { say } from "../lib/progress";
import { dropEncryptionSalt, generatedHeader, sameSettings, stackFile, syncStackFile, templateFile } from "../lib/stack-files";
import type { Toolchain } from "../toolchain/setup";
import { UsageError } from "../lib/usage-error";
import { removeStackNamespaces, stackNamespaces } from "./namespaces";
import { claimStack, processStartedAt, readOwners, releaseStack } from "./owners";
import { freeLocalPort } from "../lib/free-port";
import type { StepRecorder } from "./profile";

const STACK_NAME = /^(ci|ci-[a-z0-9][a-z0-9-]{0,38}|k8s-ci-[a-z0-9][a-z0-9-]{0,34}|dev|staging)$/;
const ACCEPTED = "ci, ci-<suffix> (lower-case letters, digits and '-', up to 41 characters), k8s-ci-<suffix> (the same on Kubernetes, up to 42), dev, staging";

export function checkStackName(stack: string): void {
  if (!STACK_NAME.test(stack)) {
    throw new UsageError(`unknown stack "${stack}": accepted stacks are ${ACCEPTED}`);
  }
}

/** How long an ephemeral stack may live before the orphan sweep may remove what it left. */
export const EPHEMERAL_HOURS = 6;

/**
 * Every stack's file is generated from its template (lib/stack-files.ts). An ephemeral ci-<suffix> stack's file
 * is a copy of the ci template; the settings of its own (ephemeralSettings) are then set through the Automation
 * API once the stack exists. Returns whether they are still to be set: for a file made now, and for a copy that
 * never got them (the process that made it ended before it could set them).
 */
function ensureStackFile(stack: string): boolean {
  if (!isEphemeral(stack)) {
    const note = syncStackFile(stackKind(stack)!);
    if (note) say(note);
    return false;
  }
  const file = stackFile(stack);
  const copy = generatedHeader("ci") + fs.readFileSync(templateFile("ci"), "utf8");
  if (fs.existsSync(file)) return sameSettings(fs.readFileSync(file, "utf8"), copy);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, copy);
  return true;
}

/**
 * What a ci-<suffix> stack gets on top of the ci template: the run it belongs to and when it expires (labels
 * cp3.run and cp3.expires on everything it creates), and a gateway port fixed for the stack's life (an
 * engine-picked one changes whenever the container restarts, in a chaos experiment, and the load would lose its
 * target). Keys are config paths (setAllConfig with path: true), so the port lands in cp3:gateway as a number.
 */
async function ephemeralSettings(stack: string): Promise<ConfigMap> {
  const expires = new Date(Date.now() + EPHEMERAL_HOURS * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const own: ConfigMap = { "cp3:run": { value: stack }, "cp3:expires": { value: expires } };
  // On Kubernetes the entry is a NodePort, which keeps its number for the Service's life by itself.
  if (namedForKubernetes(stack)) return { ...own, "cp3:platform": { value: "kubernetes" } };
  return { ...own, "cp3:gateway.hostPort": { value: String(await freeLocalPort()) } };
}

/** Opens a stack; `create: false` only selects one that exists (destroy, outputs never create a stack). */
export async function openStack(stack: string, toolchain: Toolchain, options = { create: true }): Promise<Stack> {
  checkStackName(stack);
  // Only a stack being created gets a ci-<suffix> file; selecting one must never leave a file behind. A base
  // stack's file is brought up to date either way.
  const settingsDue = options.create || !isEphemeral(stack) ? ensureStackFile(stack) : false;
  if (options.create) {
    // Until this process ends or destroys it; `cp3 up` and --keep hand it over as kept (and a kept stack
    // stays kept when it is opened again).
    if (readOwners().get(stack)?.kind !== "kept") claimStack(stack, "session");
  }
  const envVars: Record<string, string> = { ...toolchain.env, ...passphraseEnv(stack), CP3_TOOLCHAIN_BIN: toolchain.binDir };
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(toolchain.binDir) });
  const args = { stackName: stack, workDir: projectRoot };
  if (options.create) {
    const opened = await LocalWorkspace.createOrSelectStack(args, { envVars, pulumiCommand });
    if (settingsDue) await opened.setAllConfig(await ephemeralSettings(stack), true);
    return opened;
  }
  try {
    return await LocalWorkspace.selectStack(args, { envVars, pulumiCommand });
  } catch (err) {
    if (String(err).includes("no stack named")) throw new UsageError(`stack "${stack}" does not exist in ${envVars.PULUMI_BACKEND_URL}`);
    throw err;
  }
}

/** Pulumi's progress, one prefixed line at a time, so it reads apart from cp3's own lines. */
export function pulumiOutput(stack: string): (out: string) => void {
  let pending = "";
  return (out: string) => {
    pending += out;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") process.stderr.write(`  [pulumi ${stack}] ${line}\n`);
  };
}

/** The mandatory hardening policy pack, run on every `cp3 up`. */
export const policyPack = path.join(projectRoot, "policy");

/**
 * Resource operations the engine runs at once. Its default is four per CPU (8 here), fewer than a testbed's
 * independent steps at the start of an up (seven images, two networks, secrets): the networks waited for a free
 * slot. The dependency graph still orders everything; a stack has some forty resources, so this is "all".
 */
const PARALLEL = 64;

export interface UpResult {
  outputs: Record<string, unknown>;
  /** Every resource the update touched, as "<op> <type> <name>" (op: create, update, replace, delete, ...). */
  changes: string[];
}

export async function upStack(stack: Stack, signal?: AbortSignal, recorder?: StepRecorder): Promise<UpResult> {
  const changes: string[] = [];
  // Build logs are appended to: each update starts with none, so a failure's log holds that failure only. They
  // outlive the stack (a run destroys it after a failed build), for a few days.
  pruneBuildLogs(3);
  const buildLogs = buildLogDir(stack.name);
  for (const f of fs.readdirSync(buildLogs)) fs.rmSync(path.join(buildLogs, f), { force: true });
  const update = stack.up({
    onOutput: pulumiOutput(stack.name),
    onEvent: (event) => {
      recorder?.onEvent(event);
      const meta = event.resOutputsEvent?.metadata;
      // A replacement also reports its create-replacement and delete-replaced phases; count it once.
      if (meta && !["same", "create-replacement", "delete-replaced"].includes(meta.op)) changes.push(`${meta.op} ${meta.type} ${meta.urn.split("::").pop()}`);
    },
    color: "never",
    signal,
    policyPacks: [policyPack],
    parallel: PARALLEL,
  });
  const result = await update.catch((err: unknown) => {
    for (const line of failedBuilds(buildLogs)) say(line);
    throw err;
  });
  recorder?.finish();
  say(`up ${stack.name}: ${JSON.stringify(result.summary.resourceChanges ?? {})}`);
  return { outputs: plainOutputs(result.outputs), changes: changes.sort() };
}

/** For each image build that failed in this update: its log, and the failed step's output as BuildKit wrote it. */
function failedBuilds(dir: string): string[] {
  return fs.readdirSync(dir).flatMap((f) => {
    const file = path.join(dir, f);
    const lines = fs.readFileSync(file, "utf8").split("\n");
    // BuildKit's plain output numbers each step (#8 ...) and ends a failed one with "#8 ERROR: ...".
    const step = lines.map((l) => /^(#\d+) ERROR\b/.exec(l)?.[1]).find((s) => s !== undefined);
    if (step === undefined) return [];
    const output = lines.filter((l) => l.startsWith(`${step} `)).slice(-30);
    return [`image build ${f.replace(/\.log$/, "")} failed; its log: ${file}`, ...output.map((l) => `    ${l}`)];
  });
}

/** Destroys every resource, then removes the stack (and the generated config of a ci-<suffix> stack). */
export async function destroyStack(stack: Stack, options: { remove: boolean; signal?: AbortSignal; recorder?: StepRecorder }): Promise<void> {
  await stack.destroy({ onOutput: pulumiOutput(stack.name), onEvent: options.recorder?.onEvent, color: "never", signal: options.signal, parallel: PARALLEL });
  options.recorder?.finish();
  releaseStack(stack.name);
  if (!options.remove) return;
  // `pulumi stack rm` deletes the stack's file too: right for a ci-<suffix> file, made for that stack alone.
  // The ci stack's file keeps the settings a user gave it; only its salt goes with the stack.
  const ephemeral = isEphemeral(stack.name);
  await stack.workspace.removeStack(stack.name, { preserveConfig: !ephemeral });
  if (ephemeral) fs.rmSync(stackFile(stack.name), { force: true });
  else dropEncryptionSalt(stackFile(stack.name));
}

/** An error's message without the Automation API's empty stdout lines, short enough for one log line. */
function firstLines(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && l !== "stdout:" && l !== "stderr:").join(" | ").slice(0, 500);
}

/**
 * Pulumi's locks on the stack (in this checkout's file backend) whose process is gone: a Pulumi CLI SIGKILLed, or
 * orphaned by a killed driver and ended since, cannot release its lock, and every later operation on the stack
 * (the destroy, `stack rm`) refuses to run. Those are removed with `pulumi cancel`; a lock whose process still
 * runs, or was taken on another host, is left alone. Returns the pids of the locks left, if any.
 */
export async function clearDeadLocks(stack: Stack): Promise<number[]> {
  if (backendUrl() !== `file://${stateDir()}`) return [];
  const project = (await stack.workspace.projectSettings()).name;
  const dir = path.join(stateDir(), ".pulumi", "locks", "organization", project, stack.name);
  const locks = (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((f) => f.endsWith(".json"));
  const live: number[] = [];
  for (const file of locks) {
    try {
      const lock = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { pid: number; hostname: string; timestamp: string };
      const started = processStartedAt(lock.pid);
      // A pid started after the lock was taken is another process that got the number.
      const alive = lock.hostname !== os.hostname() || (started !== undefined && started <= Date.parse(lock.timestamp) + 1000);
      if (alive) live.push(lock.pid);
    } catch {
      // released meanwhile
    }
  }
  if (locks.length > 0 && live.length === 0) {
    say(`${stack.name}: removing Pulumi's lock left by a process that is gone (pulumi cancel)`);
    await stack.cancel().catch((err: unknown) => {
      // A CLI killed before its update was recorded leaves a lock cancel may not know; the lock files are only ours.
      say(`${stack.name}: pulumi cancel failed (${firstLines(err)}); removing the dead process's lock files`);
      for (const file of locks) fs.rmSync(path.join(dir, file), { force: true });
    });
  }
  return live;
}

/** Removes a stack's state without a destroy (its objects are already gone): a ci-<suffix> file with it, a base stack's salt. */
export async function forgetStack(stack: string, toolchain: Toolchain): Promise<void> {
  const opened = await openStack(stack, toolchain, { create: false });
  for (let attempt = 1; ; attempt++) {
    const live = await clearDeadLocks(opened);
    if (live.length > 0) throw new Error(`${stack}: its state is locked by Pulumi process ${live.join(", ")}, still running; it is left until that ends`);
    try {
      await opened.workspace.removeStack(stack, { force: true, preserveConfig: !isEphemeral(stack) });
      break;
    } catch (err) {
      // A Pulumi CLI that has just ended may still be letting go of the state: once more, a moment later.
      if (attempt === 2) throw new Error(`${stack}: pulumi stack rm failed twice: ${firstLines(err)}`, { cause: err });
      say(`${stack}: pulumi stack rm failed (${firstLines(err)}); trying again in 2 s`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  if (isEphemeral(stack)) fs.rmSync(stackFile(stack), { force: true });
  else dropEncryptionSalt(stackFile(stack));
  releaseStack(stack);
}

export async function stackOutputs(stack: Stack, showSecrets: boolean): Promise<Record<string, unknown>> {
  return plainOutputs(await stack.outputs(), showSecrets);
}

/** Output values, with secrets masked unless asked for. */
function plainOutputs(outputs: Record<string, { value: unknown; secret: boolean }>, showSecrets = false): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.secret && !showSecrets ? "[secret]" : o.value]));
}

/** Outputs as `key: value` lines (objects as JSON), each line prefixed with `indent`. */
export function formatOutputs(outputs: Record<string, unknown>, indent = ""): string {
  return Object.entries(outputs)
    .map(([k, v]) => `${indent}${k}: ${typeof v === "string" ? v : JSON.stringify(v)}\n`)
    .join("");
}

/** ci stacks are thrown away whole; dev and staging keep their stack (and config) after a destroy. */
export const removeAfterDestroy = (stack: string) => stackKind(stack) === "ci";

/**
 * The clean-up an ephemeral ci stack must always get: destroy; if that fails (say an interrupted update left
 * a create pending, so Pulumi no longer knows a container that still holds the network), remove whatever
 * carries the stack's label through the engine API, let `refresh --clear-pending-creates` bring the state in
 * line, and destroy again. Then remove the stack. If it still fails, say exactly what is left and how to
 * remove it.
 */
export async function destroyAlways(stack: Stack, attempts = 3): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      if (attempt > 1) {
        // A Pulumi CLI killed mid-operation leaves its lock, which would refuse every retry.
        await clearDeadLocks(stack);
        await removeLabeled(stack.name);
        await stack.refresh({ clearPendingCreates: true, onOutput: pulumiOutput(stack.name), color: "never" });
      }
      await destroyStack(stack, { remove: removeAfterDestroy(stack.name) });
      return;
    } catch (err) {
      lastError = err;
      say(`destroy ${stack.name} failed (attempt ${attempt} of ${attempts}): ${firstLine(err)}`);
    }
  }
  const left = await leftovers(stack.name);
  throw new Error(
    [
      `destroy of ${stack.name} failed ${attempts} times; left behind: ${left.length === 0 ? "nothing that carries the stack's label" : left.join(", ")}`,
      `remove it with: npm run cp3 -- destroy --stack ${stack.name}` +
        (left.length > 0 ? "  (or by hand: docker rm -f / docker network rm / docker volume rm / kubectl delete namespace on the names above)" : ""),
      `last error: ${firstLine(lastError)}`,
    ].join("\n"),
  );
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).trim().split("\n")[0] ?? "";

/** Removes the stack's labelled containers, then networks, then volumes (the order the engine requires), and its namespaces on the local cluster. */
export async function removeLabeled(stack: string): Promise<void> {
  await removeStackNamespaces(stack);
  const labels = { "cp3.stack": stack };
  const tolerant = (err: unknown) => {
    if (!docker.alreadyGoing(err)) throw err;
  };
  for (const c of await docker.containersWithLabels(labels)) await docker.removeContainer(c.Id).catch(tolerant);
  // A container another process is removing may still hold a network for a moment.
  for (let attempt = 1; ; attempt++) {
    try {
      for (const n of await docker.networksWithLabels(labels)) await docker.removeNetwork(n.Id).catch(tolerant);
      for (const v of await docker.volumesWithLabels(labels)) await docker.removeVolume(v.Name).catch(tolerant);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Containers, networks, volumes and namespaces (on the local cluster) carrying the stack's label, as "kind name" strings. */
export async function leftovers(stack: string): Promise<string[]> {
  const labels = { "cp3.stack": stack };
  const [containers, networks, volumes, namespaces] = await Promise.all([
    docker.containersWithLabels(labels),
    docker.networksWithLabels(labels),
    docker.volumesWithLabels(labels),
    stackNamespaces(stack),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names[0]?.replace(/^\//, "") ?? c.Id}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...volumes.map((v) => `volume ${v.Name}`),
    ...namespaces.map((n) => `namespace ${n.name}`),
  ];
}
