// `cp3 rotate-secret`: a new PostgreSQL password while the system runs, with no container replaced and no
// request failed. PostgreSQL holds one password per role, so there is a moment when the files and the server
// disagree; it is kept to milliseconds by doing both here, back to back:
//   1. every secret file holding the current password (in the holders' volumes, components/secret-files.ts)
//      gets the new one, written in place through its never-started holder;
//   2. the server takes the new password, as a SCRAM verifier computed here (the plain text never reaches it);
//   3. a new connection with the new password is accepted and one with the old is refused;
//   4. containers that read the file only at their start (labelled so: the monitoring's PostgreSQL exporter, a
//      service with secretsReadAtStart) are restarted and waited for until healthy;
//   5. the stack's config takes the new password (a secret) and an update records it, so the state, the outputs
//      and any later update agree; only the holders are replaced, rewriting the same files.
// Clients that read the password file at each new connection and retry a refused one briefly (the reference
// flows, workload/core/db.ts) see nothing; pooled connections, already authenticated, are not affected.
import { randomBytes } from "node:crypto";
import type { Stack } from "@pulumi/pulumi/automation";
import { extract, pack } from "tar-stream";
import * as docker from "../lib/docker-api";
import { say, step } from "../lib/progress";
import { scramVerifier } from "../lib/scram";
import { poll } from "../lib/poll";
import { HOLDER_LABEL, READS_SECRETS_AT_START_LABEL, SECRETS_DIR } from "../lib/secret-holders";
import { UsageError } from "../lib/usage-error";
import { stackOutputs, upStack } from "./stacks";

export const ROTATABLE_SECRETS = ["postgres"] as const;
export type RotatableSecret = (typeof ROTATABLE_SECRETS)[number];

/** The stack config key that holds a rotated password (stacks/config.ts: cp3:postgres.password). */
export const PASSWORD_CONFIG_PATH = "cp3:postgres.password";

interface SecretFile {
  name: string;
  uid: number;
  gid: number;
  mode: number;
  content: string;
}

interface Holder {
  container: string;
  files: SecretFile[];
}

export interface Rotation {
  /** Holder containers whose files changed, and the files. */
  holders: string[];
  files: number;
  /** From the first file written to the server holding the new password: new connections were refused meanwhile. */
  windowMs: number;
  /** Containers restarted because they read the password only at their start. */
  restarted: string[];
  /** Changes of the update that recorded the new password. */
  changes: string[];
}

/** Rotates `secret` of a Docker stack that is up; throws, naming the step, and undoes what it can on failure. */
export async function rotateSecret(stack: Stack, secret: RotatableSecret, signal?: AbortSignal): Promise<Rotation> {
  const outputs = await stackOutputs(stack, true);
  if (outputs.platform !== "docker") {
    throw new UsageError(
      `rotate-secret: stack ${stack.name} runs on ${String(outputs.platform ?? "nothing (it was never up)")}; rotation is built for Docker stacks (on Kubernetes the kubelet refreshes a mounted Secret only up to a minute later, too long a window for one password per role)`,
    );
  }
  const dsn = new URL(String(outputs.postgresDsn));
  const role = decodeURIComponent(dsn.username);
  const old = decodeURIComponent(dsn.password);
  const server = String((outputs.containers as { postgres?: string } | undefined)?.postgres ?? "");
  if (old === "" || server === "") throw new Error(`rotate-secret: stack ${stack.name}'s outputs have no PostgreSQL password or container; run \`npm run cp3 -- up --stack ${stack.name}\` first`);

  const all = await docker.containersWithLabels({ "cp3.stack": stack.name, ...HOLDER_LABEL });
  if (all.length === 0) throw new Error(`rotate-secret: stack ${stack.name} has no secret holder (it was last updated by a cp3 that kept no secrets in holder volumes); run \`npm run cp3 -- up --stack ${stack.name}\`, then try again`);
  const holders = await step(`read the secret files of ${stack.name}`, () => holdersWith(all, old));
  if (holders.length === 0) throw new Error(`rotate-secret: no secret file of stack ${stack.name} holds the password its state has: the containers and the state disagree; run \`npm run cp3 -- up --stack ${stack.name}\`, then try again`);
  const fresh = randomBytes(24).toString("base64url");
  const started = Date.now();
  await step(`write the new password into ${holders.reduce((n, h) => n + h.files.length, 0)} file(s) of ${holders.length} holder(s)`, () => writeAll(holders, (text) => text.replaceAll(old, fresh)));
  try {
    await step(`ALTER ROLE ${role} in ${server}`, () => alterPassword(server, role, fresh));
  } catch (err) {
    await writeAll(holders, (text) => text).catch((undo: unknown) => say(`could not put the old password back into the files: ${String(undo)}`));
    throw err;
  }
  const windowMs = Date.now() - started;
  await step("check: the new password accepted, the old refused", async () => {
    if (!(await logsIn(server, role, fresh))) throw new Error(`rotate-secret: ${server} refuses the new password it was just given`);
    if (await logsIn(server, role, old)) throw new Error(`rotate-secret: ${server} still accepts the old password`);
  });
  // Containers that read the file only at their start (the monitoring's PostgreSQL exporter) would keep the old
  // password for every new connection: each is restarted, and waited for until healthy again.
  const atStart = await docker.containersWithLabels({ "cp3.stack": stack.name, ...READS_SECRETS_AT_START_LABEL });
  const restarted = atStart.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id);
  if (restarted.length > 0) await step(`restart ${restarted.length} container(s) that read the password only at their start: ${restarted.join(", ")}`, () => Promise.all(restarted.map((c) => restartUntilHealthy(c, signal))));
  // From here the server and the files hold the new password; the state catches up.
  const recorded = async () => {
    await stack.setConfig(PASSWORD_CONFIG_PATH, { value: fresh, secret: true }, true);
    return upStack(stack, signal);
  };
  const up = await step(`up ${stack.name} (the state records the new password)`, recorded).catch((err: unknown) => {
    throw new Error(
      `rotate-secret: the server and the secret files hold the new password, but recording it in the stack failed (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); run \`npm run cp3 -- rotate-secret --stack ${stack.name} ${secret}\` again, which starts from what the state has`,
    );
  });
  return { holders: holders.map((h) => h.container), files: holders.reduce((n, h) => n + h.files.length, 0), windowMs, restarted, changes: up.changes };
}

/** The holders with the files that contain `value` (only those). */
async function holdersWith(holders: docker.ContainerSummary[], value: string): Promise<Holder[]> {
  const found: Holder[] = [];
  for (const c of holders) {
    const files = (await filesIn(await docker.getArchive(c.Id, SECRETS_DIR))).filter((f) => f.content.includes(value));
    if (files.length > 0) found.push({ container: c.Names[0]?.replace(/^\//, "") ?? c.Id, files });
  }
  return found;
}

/** The regular files of a folder's archive (the engine names them `<folder>/<file>`). */
function filesIn(tar: Buffer): Promise<SecretFile[]> {
  return new Promise((resolve, reject) => {
    const files: SecretFile[] = [];
    const x = extract();
    x.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c) => chunks.push(c as Buffer));
      stream.on("end", () => {
        if (header.type === "file") files.push({ name: header.name.split("/").pop()!, uid: header.uid ?? 0, gid: header.gid ?? 0, mode: header.mode ?? 0o400, content: Buffer.concat(chunks).toString("utf8") });
        next();
      });
    });
    x.on("finish", () => resolve(files));
    x.on("error", reject);
    x.end(tar);
  });
}

/** Each holder's files, their content mapped, with their owner and mode as they were. */
async function writeAll(holders: Holder[], map: (content: string) => string): Promise<void> {
  for (const h of holders) {
    const p = pack();
    for (const f of h.files) p.entry({ name: f.name, uid: f.uid, gid: f.gid, mode: f.mode, mtime: new Date() }, map(f.content));
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    await docker.putArchive(h.container, SECRETS_DIR, Buffer.concat(chunks));
  }
}

/** psql inside the server's container over its local socket (peer authentication, as the oracle uses). */
async function alterPassword(server: string, role: string, password: string): Promise<void> {
  const sql = `ALTER ROLE "${role.replaceAll('"', '""')}" PASSWORD '${scramVerifier(password)}'`;
  const r = await docker.exec(server, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql], 30_000);
  if (r.exitCode !== 0) throw new Error(`psql in ${server} exited ${r.exitCode}: ${r.output.trim().split("\n").slice(-3).join(" ")}`);
}

/** Whether a TCP connection inside the server's container (password authentication, as the services use) gets in. */
async function logsIn(server: string, role: string, password: string): Promise<boolean> {
  const r = await docker.exec(server, ["psql", "-X", "-h", "127.0.0.1", "-U", role, "-d", "postgres", "-tAc", "SELECT 1"], 30_000, [`PGPASSWORD=${password}`, "PGCONNECT_TIMEOUT=10"]);
  if (r.exitCode === 0) return true;
  if (/password authentication failed/.test(r.output)) return false;
  throw new Error(`psql -h 127.0.0.1 in ${server} exited ${r.exitCode}: ${r.output.trim().split("\n").slice(-3).join(" ")}`);
}

/**
 * Restarts a container and waits until it runs and its own health check passes, run here at once by exec (the
 * engine's first check would come only an interval later); 60 s at most.
 */
async function restartUntilHealthy(container: string, signal?: AbortSignal): Promise<void> {
  await docker.restartContainer(container);
  const r = await poll(
    async (note) => {
      const c = await docker.inspectContainer(container);
      if (!c.State.Running || c.State.Restarting) {
        note(c.State.Status);
        return undefined;
      }
      const [kind, ...test] = c.Config.Healthcheck?.Test ?? [];
      if (kind !== "CMD" && kind !== "CMD-SHELL") return true;
      const check = await docker.exec(container, kind === "CMD" ? test : ["sh", "-c", test.join(" ")], 10_000);
      note(`running, its health check exited ${check.exitCode}: ${check.output.trim().slice(0, 200)}`);
      return check.exitCode === 0 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `${container} healthy after its restart`, ...(signal ? { signal } : {}) },
  );
  if (!r.done && r.why === "aborted") throw signal!.reason;
  if (!r.done) throw new Error(`rotate-secret: ${container} was restarted to read the new password but is not healthy 60 s later (${r.last ?? "no state seen"}); see \`docker logs ${container}\``);
}
