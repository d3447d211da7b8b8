// Resource provider plugins we build, installed into Pulumi's plugin cache at exactly their npm SDK's version (the
// engine asks for the version the SDK package declares, and never downloads one: automatic acquisition is off).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../lib/exec";
import { step } from "../lib/progress";
import { buildGoTool, cachedBinary } from "./go-build";
import type { ResolvedTool } from "./setup";
import type { GoTool } from "./tools";

function pulumiHome(): string {
  return process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
}

/** Where the engine looks for resource plugin `name` at `version`. */
export function pluginDir(name: string, version: string): string {
  return path.join(pulumiHome(), "plugins", `resource-${name}-v${version}`);
}

/** Written beside a plugin we installed: the cached build it came from, so a changed pin reinstalls it. */
const PROVIDER_MARKER = ".cp3-build";

/**
 * The tool's plugin (`tool.plugin`) in Pulumi's plugin cache at `tool.version`: reported when it is there (ours at
 * this build key, or one installed before cp3), else built (with `build`) and installed with `pulumi plugin
 * install --file`. `env` must put the Pulumi CLI on PATH.
 */
export async function resolvePluginTool(tool: GoTool, build: boolean, env: Record<string, string>): Promise<ResolvedTool | undefined> {
  const name = tool.plugin;
  if (name === undefined) throw new Error(`${tool.id} is not a resource plugin (tools.ts has no plugin name for it)`);
  const dir = pluginDir(name, tool.version);
  const installed = path.join(dir, tool.binary);
  const cached = cachedBinary(tool);
  const marker = path.join(dir, PROVIDER_MARKER);
  const ours = fs.existsSync(marker) ? fs.readFileSync(marker, "utf8") : undefined;
  if (fs.existsSync(installed) && (ours === undefined || ours === cached)) {
    const source = ours === undefined ? "Pulumi plugin cache (installed before cp3)" : "built from Go modules, in Pulumi's plugin cache";
    return { id: tool.id, path: installed, version: tool.version, source };
  }
  if (!build) return undefined;
  const { binary } = await step(`build ${tool.id} ${tool.version} from Go modules`, () => buildGoTool(tool));
  await step(`install ${name} provider ${tool.version} into Pulumi's plugin cache`, () =>
    run("pulumi", ["plugin", "install", "resource", name, tool.version, "--file", binary, "--reinstall"], {
      step: "plugin install",
      log: `plugin-install-${name}`,
      env: { ...process.env, ...env },
    }),
  );
  fs.writeFileSync(marker, binary);
  return { id: tool.id, path: installed, version: tool.version, source: "built from Go modules, in Pulumi's plugin cache" };
}
