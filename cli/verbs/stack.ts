// up, destroy and outputs for one named stack.
import { ensureKubernetes, platformOf } from "../../lifecycle/kubernetes";
import type { Parsed, VerbSpec } from "../args";
import { destroyStack, formatOutputs, openStack, removeAfterDestroy, stackOutputs, upStack, checkStackName } from "../../lifecycle/stacks";
import { EXIT } from "../../lib/exit-codes";
import type { TestbedImageRefs } from "../../components/testbed";
import { imagesOf, scanImages, supplyChainLine, supplyChainReasons } from "../../supply-chain/scan";
import { interruptible } from "../interruptible";
import { say, step } from "../../lib/progress";
import { claimStack } from "../../lifecycle/owners";
import { ensureToolchain } from "./setup";
import { applyStackSettings, parseStackSettings, stackSettingFlags } from "../../pipeline/stack-settings";

const stackFlag = { stack: { type: "string", placeholder: "S", description: "stack: ci, ci-<suffix>, k8s-ci-<suffix>, dev or staging" } } as const;

export const upSpec: VerbSpec = {
  name: "up",
  summary: "Create or update a stack's testbed and wait until every container is healthy; prints its outputs, then warns of image check findings and pending security updates (cp3 scan). --system and --trust-host-cas are kept in the stack's config.",
  flags: { ...stackFlag, ...stackSettingFlags },
  required: ["stack"],
};

export const destroySpec: VerbSpec = {
  name: "destroy",
  summary: "Destroy a stack's testbed; ci stacks are removed too, dev and staging keep their stack and config.",
  flags: { ...stackFlag },
  required: ["stack"],
};

export const outputsSpec: VerbSpec = {
  name: "outputs",
  summary: "Print a stack's outputs (endpoints, container names); secrets stay masked unless --show-secrets.",
  flags: {
    ...stackFlag,
    json: { type: "boolean", description: "print one JSON object instead of key: value lines" },
    "show-secrets": { type: "boolean", description: "print secret outputs in plain text" },
  },
  required: ["stack"],
};

function printOutputs(outputs: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(outputs, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatOutputs(outputs));
}

export async function runUp(parsed: Parsed): Promise<number> {
  const name = String(parsed.values.stack);
  checkStackName(name);
  const settings = parseStackSettings(parsed.values);
  const toolchain = await ensureToolchain();
  return interruptible(async (signal) => {
    const stack = await step(`open stack ${name}`, () => openStack(name, toolchain));
    await applyStackSettings(stack, settings);
    if ((await platformOf(stack)) === "kubernetes") await step("kubernetes cluster", () => ensureKubernetes());
    const { outputs } = await step(`up ${name}`, () => upStack(stack, signal));
    claimStack(name, "kept");
    printOutputs(outputs, false);
    await warnOnScan(outputs, name);
    return EXIT.ok;
  });
}

/** The images' checks and pending security updates, as warnings: an up never fails on them (`cp3 scan --strict` does). */
async function warnOnScan(outputs: Record<string, unknown>, stack: string): Promise<void> {
  try {
    const scan = await step("supply-chain scan", () => scanImages(imagesOf(outputs.images as TestbedImageRefs), { labels: { "cp3.stack": stack } }));
    for (const reason of supplyChainReasons(scan)) say(`warning: ${reason}`);
    say(supplyChainLine(scan));
  } catch (err) {
    say(`warning: the supply-chain scan could not run: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function runDestroy(parsed: Parsed): Promise<number> {
  const name = String(parsed.values.stack);
  checkStackName(name);
  const toolchain = await ensureToolchain();
  const stack = await step(`open stack ${name}`, () => openStack(name, toolchain, { create: false }));
  await step(`destroy ${name}`, () => destroyStack(stack, { remove: removeAfterDestroy(name) }));
  return EXIT.ok;
}

export async function runOutputs(parsed: Parsed): Promise<number> {
  const name = String(parsed.values.stack);
  checkStackName(name);
  const toolchain = await ensureToolchain();
  const stack = await openStack(name, toolchain, { create: false });
  printOutputs(await stackOutputs(stack, parsed.values["show-secrets"] === true), parsed.values.json === true);
  return EXIT.ok;
}
