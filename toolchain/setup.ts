// `cp3 setup`: the Docker engine, the pinned toolchain (built from Go modules or reused), the docker provider
// in Pulumi's plugin cache, and the Debian root image. Idempotent: a warm run only checks. Tools marked `lazy`
// (the kubernetes provider) are only reported here; their own ensure function builds them on first use.
import * as fs from "node:fs";
import * as path from "node:path";
import { succeeds } from "../lib/exec";
import { cacheDir } from "../lib/paths";
import { step, say } from "../lib/progress";
import { offlineEnv } from "../lib/pulumi-env";
import { ensureEngine, type EngineInfo } from "./engine";
import { buildGoTool, cachedBinary, ensureGo } from "./go-build";
import { ensureBaseRootImage, baseRootImage } from "./rootfs";
import { ensureWorkloadDeps, workloadDepsFresh } from "./workload-deps";
import { ensurePackageDist } from "./package-build";
import { atLeast, goTools, parseVersion, versions, type GoTool, type ToolId } from "./tools";
import * as docker from "../lib/docker-api";
import { findOnPath } from "../lib/which";
import { findExternalK6, K6_MINIMUM } from "./external-k6";
import { toolLicence } from "./licences";
import { ensureDynamicProviderHost } from "./dynamic-provider";
import { resolvePluginTool } from "./plugin-cache";

export { pluginDir } from "./plugin-cache";

export interface ResolvedTool {
  id: ToolId | "node" | "node-image" | "docker-engine" | "debian-root" | "workload-deps" | "k6";
  path: string;
  version: string;
  source: string;
  /** The licence of a tool built here (its main module's), for `setup --check`. */
  licence?: string;
}

export interface Toolchain {
  binDir: string;
  tools: ResolvedTool[];
  env: Record<string, string>;
}

/** The folder put first on PATH: links to every resolved binary, so one PATH entry serves them all. */
export function binDir(): string {
  return cacheDir("toolchain", "bin");
}

/**
 * Links a binary into the bin folder. A hard link where possible: the Pulumi CLI looks for its language host
 * beside its own resolved path, which a symbolic link would point elsewhere.
 */
function linkInto(dir: string, name: string, target: string): void {
  const link = path.join(dir, name);
  if (sameFile(link, target)) return;
  const temp = `${link}.${process.pid}`;
  fs.rmSync(temp, { force: true });
  try {
    fs.linkSync(target, temp);
  } catch {
    fs.symlinkSync(target, temp); // another file system: a symbolic link still serves PATH
  }
  fs.renameSync(temp, link); // atomic, so two set-ups at once never leave a half-made link
  // rename() between two links to one file succeeds and changes nothing (POSIX), leaving the temporary name.
  fs.rmSync(temp, { force: true });
}

function sameFile(a: string, b: string): boolean {
  try {
    const [sa, sb] = [fs.statSync(a), fs.statSync(b)];
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

async function existingTool(tool: GoTool, pulumiFromPath: boolean): Promise<ResolvedTool | undefined> {
  if (!tool.reuseFromPath) return undefined;
  const found = findOnPath(tool.binary, binDir());
  if (!found) return undefined;
  if (tool.id === "language-nodejs") {
    // It cannot report its version by itself; pair it only with a Pulumi CLI that also came from PATH.
    return pulumiFromPath ? { id: tool.id, path: found, version: "as installed", source: "PATH (beside the installed Pulumi CLI)" } : undefined;
  }
  const version = parseVersion((await succeeds(found, tool.versionArgs)) ?? "");
  if (!version || !atLeast(version, tool.minimum.replace(/^v/, ""))) return undefined;
  return { id: tool.id, path: found, version, source: "PATH" };
}

async function resolveTool(tool: GoTool, build: boolean, pulumiFromPath: boolean): Promise<ResolvedTool | undefined> {
  const existing = await existingTool(tool, pulumiFromPath);
  if (existing) return existing;
  const cached = cachedBinary(tool);
  if (fs.existsSync(cached)) return { id: tool.id, path: cached, version: tool.version, source: "built from Go modules (cached)" };
  if (!build) return undefined;
  const { binary } = await step(`build ${tool.id} ${tool.version} from Go modules`, () => buildGoTool(tool));
  return { id: tool.id, path: binary, version: tool.version, source: "built from Go modules (just now)" };
}

/** A tool built on first use (tools.ts `lazy`): reported, never built here, never missing. */
async function lazyTool(tool: GoTool, env: Record<string, string>): Promise<ResolvedTool> {
  const found = tool.plugin !== undefined ? await resolvePluginTool(tool, false, env) : undefined;
  return found ?? { id: tool.id, path: "-", version: tool.version, source: `not built yet: built ${tool.lazy}` };
}

export interface SetupOptions {
  /** Only report; build, install and start nothing. */
  checkOnly: boolean;
}

export async function setup(options: SetupOptions): Promise<{ toolchain: Toolchain; missing: string[] }> {
  const build = !options.checkOnly;
  const tools: ResolvedTool[] = [];
  const missing: string[] = [];
  const env = offlineEnv(binDir());

  const node = { id: "node" as const, path: process.execPath, version: process.versions.node, source: process.execPath.includes("cp3-testbed") ? `npm package ${versions.node.npmPackage}` : "PATH" };
  tools.push(node);
  linkInto(binDir(), "node", node.path);
  ensureDynamicProviderHost(binDir());
  // The images always carry the pinned LTS, whichever Node.js runs cp3 itself.
  const pinnedNode = process.env.CP3_PINNED_NODE;
  if (pinnedNode && fs.existsSync(pinnedNode)) {
    tools.push({ id: "node-image", path: pinnedNode, version: versions.node.version, source: `npm package ${versions.node.npmPackage} (for images)` });
    linkInto(binDir(), "node-image", pinnedNode);
  } else {
    missing.push("node-image: the pinned Node.js for images is missing (run cp3 through npm run cp3, which fetches it)");
  }

  const engine: EngineInfo | undefined = await step("docker engine", () => ensureEngine({ startIfMissing: build }));
  if (engine) tools.push({ id: "docker-engine", path: docker.socketPath(), version: engine.version, source: engine.source });
  else missing.push("docker-engine: no engine answers (cp3 setup starts one)");

  if (build) await step("go toolchain", ensureGo);

  let pulumiFromPath = false;
  for (const tool of goTools) {
    const resolved: ResolvedTool | undefined =
      tool.lazy !== undefined
        ? await lazyTool(tool, env)
        : tool.plugin !== undefined
          ? await resolvePluginTool(tool, build, env)
          : await resolveTool(tool, build, pulumiFromPath);
    if (!resolved) {
      missing.push(`${tool.id}: not built yet (cp3 setup builds ${tool.version})`);
      continue;
    }
    if (tool.id === "pulumi") pulumiFromPath = resolved.source === "PATH";
    // What we build, we answer for: its licence from the module cache (no download), shown by `setup --check`.
    if (options.checkOnly && resolved.source.startsWith("built from Go modules")) resolved.licence = toolLicence(tool.moduleDir, tool.goPackage).licence;
    tools.push(resolved);
    // Resource plugins live in Pulumi's plugin cache, not on PATH; a lazy tool not built yet has no file.
    if (tool.plugin === undefined && resolved.path !== "-") linkInto(binDir(), tool.binary, resolved.path);
  }

  tools.push(await optionalK6());

  if (build) await step("workload dependencies (npm ci --omit=dev in workload/)", ensureWorkloadDeps);
  if (workloadDepsFresh()) tools.push({ id: "workload-deps", path: "workload/node_modules", version: "package-lock.json", source: "npm registry" });
  else missing.push("workload-deps: workload/node_modules is missing or stale (cp3 setup installs it)");
  // The package other Pulumi programs import (dist/); not a tool, so a stale one is rebuilt, never reported missing.
  if (build) await step("package build (dist/, for programs that import cp3-testbed)", ensurePackageDist);

  if (engine) {
    const image = baseRootImage();
    if (build) {
      const { imported } = await step(`debian root image ${image.ref}`, ensureBaseRootImage);
      if (imported) say(`imported ${image.ref} into the engine`);
    }
    if (await docker.imageExists(image.ref)) {
      tools.push({ id: "debian-root", path: image.ref, version: versions.debian.suite, source: "debootstrap, imported into the engine" });
    } else {
      missing.push(`debian-root: ${image.ref} is not in the engine (cp3 setup imports it)`);
    }
  }
  return { toolchain: { binDir: binDir(), tools, env }, missing };
}

/** k6 is never built or shipped here (AGPL-3.0); a user's own k6 >= 1.0 on PATH can be chosen with --engine k6. */
async function optionalK6(): Promise<ResolvedTool> {
  const k6 = await findExternalK6(undefined, binDir());
  if (!k6?.version) return { id: "k6", path: "-", version: "not installed", source: "optional: the default engine (loadgen) is used" };
  return { id: "k6", path: k6.path, version: k6.version, source: k6.usable ? "PATH (your own install; used with --engine k6)" : `PATH, too old for --engine k6 (needs ${K6_MINIMUM})` };
}

export function formatTools(tools: ResolvedTool[]): string {
  const rows = tools.map((t) => [t.id, t.version, t.licence ?? "", t.source, t.path]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 4));
  return rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join("  ")).join("\n");
}
