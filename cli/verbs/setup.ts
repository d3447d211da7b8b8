import type { Parsed, VerbSpec } from "../args";
import { EXIT } from "../../lib/exit-codes";
import { say } from "../../lib/progress";
import { passphraseEnv } from "../../lib/pulumi-env";
import { syncStackFiles } from "../../lib/stack-files";
import { formatTools, setup, type Toolchain } from "../../toolchain/setup";

export const setupSpec: VerbSpec = {
  name: "setup",
  summary: "Install and start what the testbed needs: Docker engine, Pulumi CLI and providers, the load generator, nats-server, Toxiproxy, the Debian root image; k6 is optional (your own install). Cached; a warm run takes seconds.",
  flags: {
    check: { type: "boolean", description: "only report each tool's version and source; exit 0 only when everything is ready" },
    env: { type: "boolean", description: 'print shell lines that put the toolchain into your shell: eval "$(npm run -s cp3 -- setup --env)"' },
  },
};

/**
 * Sets everything up and makes this process use the toolchain (PATH, offline Pulumi settings). The stack files
 * are generated from their templates here too, so they are in place before any Pulumi command: ours, or a
 * user's own after `eval "$(npm run -s cp3 -- setup --env)"`.
 */
export async function ensureToolchain(): Promise<Toolchain> {
  const { toolchain, missing } = await setup({ checkOnly: false });
  if (missing.length > 0) throw new Error(`set-up left things missing:\n  ${missing.join("\n  ")}`);
  Object.assign(process.env, toolchain.env, { CP3_TOOLCHAIN_BIN: toolchain.binDir });
  for (const note of syncStackFiles()) say(note);
  return toolchain;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function runSetup(parsed: Parsed): Promise<number> {
  if (parsed.values.check) {
    const { toolchain, missing } = await setup({ checkOnly: true });
    process.stdout.write(`${formatTools(toolchain.tools)}\n`);
    for (const m of missing) process.stdout.write(`MISSING ${m}\n`);
    return missing.length === 0 ? EXIT.ok : EXIT.usage;
  }
  const toolchain = await ensureToolchain();
  if (parsed.values.env) {
    // A plain `pulumi up --stack ci` then finds the ci passphrase; dev and staging bring PULUMI_CONFIG_PASSPHRASE,
    // which Pulumi prefers over the file when both are set.
    const exported = { ...toolchain.env, CP3_TOOLCHAIN_BIN: toolchain.binDir, ...passphraseEnv("ci") };
    const lines = Object.entries(exported).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${formatTools(toolchain.tools)}\n`);
  say("setup complete");
  return EXIT.ok;
}
