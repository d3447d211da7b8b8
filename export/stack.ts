// What the Compose export reads of a stack, and how it writes the result. The description and settings come
// from the stack's own configuration through the Automation API (getAllConfig), parsed and turned into a
// description exactly as stacks/program.ts does; the image refs and the PostgreSQL password from its outputs.
// With TLS the export gets a CA and a server certificate of its own, made here: the stack's CA key stays in the
// stack's state, and the export is a testbed of its own beside the stack.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { TestbedImageRefs } from "../components/testbed";
import { testbedServerNames } from "../components/tls-authority";
import * as docker from "../lib/docker-api";
import { projectRoot } from "../lib/paths";
import { UsageError } from "../lib/usage-error";
import { parseConfig, type TestbedConfig } from "../stacks/config";
import { loadSpecFile } from "../testbed/load";
import { referenceWorkload } from "../testbed/presets/reference";
import type { TestbedSpec } from "../testbed/spec";
import { validateSpec } from "../testbed/validate";
import { createAuthority, createServerCertificate } from "../lib/tls-certificates";
import { SECRETS_FOLDER, type ComposeTls } from "./compose";

export interface StackForExport {
  stack: string;
  config: TestbedConfig;
  spec: TestbedSpec;
  images: TestbedImageRefs;
  /** Which of the images carry a HEALTHCHECK of their own, as the engine reports them. */
  imageHealthchecks: Record<string, boolean>;
  /** The stack's PostgreSQL password (its secret); it goes into the secret files, never into the Compose file. */
  password: string;
  /** With cp3:tls.enabled: the export's own CA and server certificate (the key goes into a secret file). */
  tls?: ComposeTls;
}

/** A CA for an export of `stack` and a server certificate for every name its clients use (as TlsAuthority makes). */
export async function exportCertificates(stack: string, natsReplicas: number): Promise<ComposeTls> {
  const validDays = 825;
  const ca = await createAuthority(`cp3 compose CA ${stack}`, validDays);
  const server = await createServerCertificate(ca, testbedServerNames(natsReplicas), validDays);
  return { caCert: ca.cert, serverCert: server.cert, serverKey: server.key };
}

/** The description a stack's program declares: the reference workload from its settings, or its `cp3:system` file. */
export function describedSystem(config: TestbedConfig): TestbedSpec {
  return config.system === "" ? validateSpec(referenceWorkload(config, path.join(projectRoot, "workload")), "reference workload") : loadSpecFile(path.resolve(projectRoot, config.system));
}

const upFirst = (stack: string) => `run \`npm run cp3 -- up --stack ${stack}\` first`;

/** Reads a stack for the export; refuses, naming the command to run, a stack that was never up. */
export async function readStackForExport(stack: Stack): Promise<StackForExport> {
  const all = Object.fromEntries(Object.entries(await stack.getAllConfig()).map(([k, v]) => [k, v.value]));
  const config = parseConfig(all, stack.name);
  const spec = describedSystem(config);
  const outputs = await stack.outputs();
  const images = outputs.images?.value as TestbedImageRefs | undefined;
  const dsn = outputs.postgresDsn?.value as string | undefined;
  if (!images || !dsn) throw new UsageError(`stack ${stack.name} has no image refs in its outputs: it was never up (or not since the images output exists); ${upFirst(stack.name)}`);
  const password = decodeURIComponent(new URL(dsn).password);
  if (password === "") throw new UsageError(`stack ${stack.name}: its postgresDsn output holds no password; ${upFirst(stack.name)}`);

  const refs = [...new Set([images.nats, images.postgres, images.toxiproxy, ...Object.values(images.migrate), ...Object.values(images.services)])];
  const imageHealthchecks: Record<string, boolean> = {};
  const absent: string[] = [];
  for (const ref of refs) {
    try {
      const image = await docker.request<{ Config?: { Healthcheck?: { Test?: string[] } } }>(`/images/${encodeURIComponent(ref)}/json`);
      const test = image.Config?.Healthcheck?.Test ?? [];
      imageHealthchecks[ref] = test.length > 0 && test[0] !== "NONE";
    } catch (err) {
      if (err instanceof docker.EngineError && err.status === 404) absent.push(ref);
      else throw err;
    }
  }
  if (absent.length > 0) throw new UsageError(`stack ${stack.name}: image${absent.length === 1 ? "" : "s"} ${absent.join(", ")} not in the local engine (removed since the stack's last up); ${upFirst(stack.name)}`);
  const tls = config.tls.enabled ? await exportCertificates(stack.name, spec.nats.replicas) : undefined;
  return { stack: stack.name, config, spec, images, imageHealthchecks, password, ...(tls ? { tls } : {}) };
}

/** Where an export goes when no --out is given: a git-ignored folder of its own per stack (its secrets with it). */
export const defaultComposeFile = (stack: string) => path.join(projectRoot, ".cp3", "compose", stack, "docker-compose.yml");

/**
 * Writes the Compose file, and the secret files it mounts into `secrets/` beside it (composeSecretFiles): the
 * folder mode 0700, each file 0444. Compose without a swarm bind-mounts a secret file as it is on the host, so
 * the containers' own users must be able to read it; the folder keeps everyone else on the host out (and
 * PostgreSQL copies its key to a file of its own). Returns the paths.
 */
export function writeComposeExport(file: string, yaml: string, secretFiles: Record<string, string>): { file: string; secrets: string } {
  const dir = path.dirname(path.resolve(file));
  const secrets = path.join(dir, SECRETS_FOLDER);
  fs.mkdirSync(secrets, { recursive: true, mode: 0o700 });
  fs.chmodSync(secrets, 0o700);
  // A file of an earlier export that this one does not write (TLS turned off since) goes too.
  for (const stale of fs.readdirSync(secrets)) if (!(stale in secretFiles)) fs.rmSync(path.join(secrets, stale), { force: true });
  for (const [name, content] of Object.entries(secretFiles)) {
    const target = path.join(secrets, name);
    // An earlier export's file is read-only: replaced, not written through.
    fs.rmSync(target, { force: true });
    fs.writeFileSync(target, content, { mode: 0o444 });
  }
  fs.writeFileSync(path.resolve(file), yaml);
  return { file: path.resolve(file), secrets };
}
