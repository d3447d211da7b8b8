// Stack files. The tracked templates, stacks/templates/Pulumi.<kind>.yaml, are the one source of every stack's
// configuration. The files Pulumi reads and writes are per clone: Pulumi writes the passphrase's salt into them
// (pulumi/pulumi#8408), and `pulumi config set` its edits. So they are generated from the templates into the
// git-ignored folder that Pulumi.yaml's stackConfigDir names, which both the CLI and the Automation API honour,
// and neither cp3 nor a plain `pulumi` command ever changes a tracked file.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "./paths";
import { backendUrl, stackKinds, type StackKind } from "./pulumi-env";

/** A top-level scalar of Pulumi.yaml (name, stackConfigDir). */
function projectSetting(key: string, root: string): string | undefined {
  const text = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
  return new RegExp(`^${key}:[ \\t]*(\\S+)[ \\t]*$`, "m").exec(text)?.[1];
}

/** The folder of generated stack files: Pulumi.yaml's stackConfigDir, made absolute. */
export function stackConfigDir(root = projectRoot): string {
  const dir = projectSetting("stackConfigDir", root);
  if (dir === undefined) {
    throw new Error(`${path.join(root, "Pulumi.yaml")}: stackConfigDir: got nothing; allowed: a git-ignored folder for the generated stack files, such as .cp3/stacks`);
  }
  return path.resolve(root, dir);
}

export function templateFile(kind: StackKind, root = projectRoot): string {
  return path.join(root, "stacks", "templates", `Pulumi.${kind}.yaml`);
}

/** The stack file Pulumi reads for `stack` (generated, git-ignored). */
export function stackFile(stack: string, root = projectRoot): string {
  return path.join(stackConfigDir(root), `Pulumi.${stack}.yaml`);
}

/** Beside each generated base file: the hash of the template it was generated from. */
const stampFile = (file: string) => `${file}.template-sha256`;

const SALT = /^encryptionsalt:.*(\n|$)/m;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Writes through a temporary file, so a process reading at the same time never sees half a file. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const readOrUndefined = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);

/** A stack file's settings without its salt, comments and blank lines: what a user may have changed. */
function settings(text: string): string {
  return text
    .replace(SALT, "")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#") && line.trim() !== "config: {}")
    .join("\n");
}

/**
 * Whether this clone's state backend holds the stack. Only a file backend can be asked cheaply; for any other
 * the answer is yes, so a salt is never dropped on a guess.
 */
export function stackInBackend(stack: string, root = projectRoot): boolean {
  const url = backendUrl();
  const dir = url.startsWith("file://") ? url.slice("file://".length) : "";
  if (!path.isAbsolute(dir)) return true;
  const project = projectSetting("name", root) ?? "";
  return [".json", ".json.gz", ".json.zst"].some((ext) => fs.existsSync(path.join(dir, ".pulumi", "stacks", project, `${stack}${ext}`)));
}

export interface SyncOptions {
  root?: string;
  /** Whether the state backend holds a stack (default: stackInBackend). */
  stackExists?: (stack: string) => boolean;
}

/**
 * Generates the stack file of a base stack (ci, dev, staging) from its template, or brings it up to date:
 *   - missing: written from the template;
 *   - generated from the template as it is now: left alone, so `pulumi config set` edits and the salt stay;
 *   - generated from an older template, or not by cp3 (say `pulumi stack select --create` before any cp3
 *     command): written again from the template, keeping its salt. A previous copy with settings of its own is
 *     kept as Pulumi.<stack>.yaml.bak, and the returned line says so.
 * Then a salt for a stack the backend does not hold is removed: it was made with a passphrase that need not be
 * yours (a removed stack, a deleted state), and Pulumi would refuse to create the stack with another one.
 * Returns a line for the user when something of theirs was replaced.
 */
export function syncStackFile(kind: StackKind, options: SyncOptions = {}): string | undefined {
  const root = options.root ?? projectRoot;
  const exists = options.stackExists ?? ((stack: string) => stackInBackend(stack, root));
  const template = fs.readFileSync(templateFile(kind, root), "utf8");
  const hash = sha256(template);
  const file = stackFile(kind, root);
  const previous = readOrUndefined(file);
  let note: string | undefined;
  if (previous === undefined || readOrUndefined(stampFile(file))?.trim() !== hash) {
    const salt = previous === undefined ? undefined : SALT.exec(previous)?.[0];
    if (previous !== undefined && settings(previous) !== "" && settings(previous) !== settings(template)) {
      fs.copyFileSync(file, `${file}.bak`);
      const rel = path.relative(root, file);
      note = `${path.relative(root, templateFile(kind, root))} changed: ${rel} is generated from it again (the previous copy, with any settings of your own: ${rel}.bak)`;
    }
    writeAtomic(file, salt ? `${template.replace(/\n*$/, "\n")}${salt.replace(/\n?$/, "\n")}` : template);
    writeAtomic(stampFile(file), `${hash}\n`);
  }
  const text = fs.readFileSync(file, "utf8");
  if (SALT.test(text) && !exists(kind)) writeAtomic(file, text.replace(SALT, ""));
  return note;
}

/** Every base stack's file (what `cp3 setup` and every verb that sets up run first). */
export function syncStackFiles(options: SyncOptions = {}): string[] {
  return stackKinds.map((kind) => syncStackFile(kind, options)).filter((n): n is string => n !== undefined);
}

/**
 * Once cp3 has removed a base stack, the salt in its file belongs to nothing; it goes, and the rest of the file
 * (the user's settings) stays.
 */
export function dropEncryptionSalt(file: string): void {
  const text = readOrUndefined(file);
  if (text === undefined) return;
  const kept = text.replace(SALT, "");
  if (kept !== text) writeAtomic(file, kept);
}
