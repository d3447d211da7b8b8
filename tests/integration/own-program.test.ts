// The package from another Pulumi program, as a user has it: examples/own-program copied to a folder outside the
// repository, its dependencies installed with npm (cp3-testbed from this checkout, as `npm install <path>` does),
// then a real `pulumi up` of it (Automation API, a file backend and a random passphrase of its own, the hardening
// policy pack from the installed package, the type check a plain `pulumi up` does): its entry answers /readyz with
// 200 on 127.0.0.1, three workers run; `pulumi destroy` in finally, and nothing labelled with its stack remains.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { expect, it } from "vitest";
import * as docker from "../../lib/docker-api";
import { run as runCommand } from "../../lib/exec";
import { waitForOk } from "../../lib/http-probe";
import { projectRoot } from "../../lib/paths";
import { newRunId } from "../../lib/run-id";
import { leftovers, pulumiOutput, removeLabeled } from "../../lifecycle/stacks";
import { ensurePackageDist } from "../../toolchain/package-build";
import { setup } from "../../toolchain/setup";

const example = path.join(projectRoot, "examples", "own-program");
const stackName = `own-${newRunId()}`;
/** The example names and labels everything after `<project>-<stack>`. */
const ownerStack = `my-testbed-${stackName}`;

it("a Pulumi program of a user's own declares the testbed with cp3-testbed: up, entry ready, three workers, destroy leaves nothing", async () => {
  const timings: [string, number][] = [];
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      timings.push([what, (Date.now() - t0) / 1000]);
    }
  };

  // `npm test` ran the set-up (which builds dist/); a direct vitest run gets the package built here.
  const { toolchain, missing } = await setup({ checkOnly: true });
  // The load generator is not used here.
  expect(missing.filter((m) => !m.startsWith("loadgen:")), "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  await timed("package build (dist/, when stale)", ensurePackageDist);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-own-program-"));
  expect(path.relative(projectRoot, tmp).startsWith("..")).toBe(true);
  const program = path.join(tmp, "program");
  let stack: Stack | undefined;
  let destroyError: unknown;
  let left: string[] | undefined;
  try {
    fs.cpSync(example, program, { recursive: true, filter: (src) => !/(^|\/)(node_modules|Pulumi\.[^/]+\.yaml)$/.test(src) });
    // file:../.. means this checkout from examples/own-program; from elsewhere, its absolute path.
    const manifest = JSON.parse(fs.readFileSync(path.join(program, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies["cp3-testbed"]).toBe("file:../..");
    manifest.dependencies["cp3-testbed"] = `file:${projectRoot}`;
    fs.writeFileSync(path.join(program, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await timed("npm install", () => runCommand("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { step: "own-program npm install", log: "own-program-npm-install", cwd: program }));
    expect(fs.realpathSync(path.join(program, "node_modules", "cp3-testbed"))).toBe(fs.realpathSync(projectRoot));

    const state = path.join(tmp, "state");
    fs.mkdirSync(state);
    const envVars: Record<string, string> = {
      ...toolchain.env,
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE: randomBytes(24).toString("base64url"),
      // What a plain `pulumi up` does: type-check the program (against the package's declarations).
      PULUMI_NODEJS_TRANSPILE_ONLY: "false",
      // Unset: the package finds the set-up's toolchain by itself.
      CP3_TOOLCHAIN_BIN: "",
    };
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(toolchain.binDir) });
    stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: program }, { envVars, pulumiCommand });
    const opened = stack;
    const up = await timed("pulumi up", () =>
      opened.up({ onOutput: pulumiOutput(stackName), color: "never", policyPacks: [path.join(program, "node_modules", "cp3-testbed", "policy")] }),
    );
    const entryUrl = up.outputs.entryUrl?.value as string;
    const workers = up.outputs.workers?.value as string[];

    await timed("checks", async () => {
      expect(entryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await waitForOk(`${entryUrl}/readyz`, 60_000)).toBe(200);
      expect(workers).toEqual([0, 1, 2].map((i) => `cp3-${ownerStack}-worker-${i}`));
      for (const name of workers) expect((await docker.inspectContainer(name)).State.Running, name).toBe(true);
      const running = (await docker.containersWithLabels({ "cp3.stack": ownerStack })).filter((c) => c.State === "running" && c.Names.some((n) => /-worker-\d+$/.test(n)));
      expect(running).toHaveLength(3);
    });
  } finally {
    if (stack) {
      const opened = stack;
      try {
        await timed("pulumi destroy", () => opened.destroy({ onOutput: pulumiOutput(stackName), color: "never" }));
        await opened.workspace.removeStack(stackName);
      } catch (err) {
        destroyError = err;
        await removeLabeled(ownerStack);
      }
    }
    left = await leftovers(ownerStack);
    fs.rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(`own-program timings (stack ${stackName}):\n${timings.map(([what, s]) => `  ${what.padEnd(36)} ${s.toFixed(1).padStart(7)} s`).join("\n")}\n`);
  }
  expect(destroyError, "pulumi destroy failed (its leftovers were removed by label)").toBeUndefined();
  expect(left, "containers, networks or volumes labelled with the stack after destroy").toEqual([]);
}, 1_500_000);
