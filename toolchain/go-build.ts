// Builds a Go tool from its wrapper module into a cache folder keyed by everything that goes into the build,
// so an unchanged pin costs a stat() and a changed one rebuilds only that tool.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { run, succeeds } from "../lib/exec";
import { cacheDir } from "../lib/paths";
import { StepError } from "../lib/progress";
import type { GoTool } from "./tools";

// Folders a build script writes inside its module: the docker provider's upstream copy, the kubernetes provider's
// embedded schema files.
const GENERATED = new Set(["_upstream", "_generated"]);

/** Hash of the wrapper module's files (go.mod, go.sum, our Go sources, build script, patches) and the pinned version. */
export function buildKey(tool: GoTool): string {
  const hash = createHash("sha256").update(`${tool.id}@${tool.version}\n${tool.ldflags.join(" ")}\n${tool.tags?.length ? `tags ${tool.tags.join(",")}\n` : ""}`);
  const files = fs
    .readdirSync(tool.moduleDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /(\.go|\.mod|\.sum|\.sh|\.patch)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    // Folders a build writes are outputs, not inputs.
    .filter((file) => !path.relative(tool.moduleDir, file).split(path.sep).some((part) => GENERATED.has(part)))
    .sort();
  for (const file of files) {
    hash.update(path.relative(tool.moduleDir, file)).update(fs.readFileSync(file));
  }
  return hash.digest("hex").slice(0, 12);
}

export function cachedBinary(tool: GoTool): string {
  return path.join(cacheDir("toolchain", `${tool.id}-${tool.version}-${buildKey(tool)}`), tool.binary);
}

export async function ensureGo(): Promise<string> {
  const out = await succeeds("go", ["version"]);
  if (!out) {
    throw new StepError("go", "the Go toolchain (go >= 1.24) is needed to build the pinned tools and was not found on PATH", "go version");
  }
  return out.trim();
}

/** Builds the tool unless the cache already holds this exact build; returns the binary's path. */
export async function buildGoTool(tool: GoTool): Promise<{ binary: string; built: boolean }> {
  const binary = cachedBinary(tool);
  if (fs.existsSync(binary)) return { binary, built: false };

  const staging = `${binary}.partial`;
  const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -buildvcs=false" };
  if (tool.buildScript) {
    // The script builds into a folder of its own (with its logs beside the binary).
    const stagingDir = `${binary}.build`;
    fs.rmSync(stagingDir, { recursive: true, force: true });
    await run("bash", [tool.buildScript, stagingDir], {
      step: `build ${tool.id}`,
      log: `build-${tool.id}`,
      cwd: tool.moduleDir,
      env: { ...env, VERSION: tool.version },
    });
    fs.renameSync(path.join(stagingDir, tool.binary), staging);
  } else {
    const ldflags = ["-s", "-w", ...tool.ldflags].join(" ");
    const args = ["build", "-trimpath", ...(tool.tags?.length ? ["-tags", tool.tags.join(",")] : []), "-ldflags", ldflags, "-o", staging];
    args.push(tool.goPackage ?? ".");
    await run("go", args, { step: `build ${tool.id}`, log: `build-${tool.id}`, cwd: tool.moduleDir, env });
  }
  // Rename last, so an interrupted build never looks finished.
  fs.renameSync(staging, binary);
  return { binary, built: true };
}
