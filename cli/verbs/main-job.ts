// The main job (`npm run cp3` with no verb): set up, up a fresh ci stack, gate on health, print the
// endpoints, and always destroy the stack. Later issues grow it into the full CP3 run.
import { randomBytes } from "node:crypto";
import type { Parsed, VerbSpec } from "../args";
import { destroyAlways, formatOutputs, openStack, upStack } from "../stacks";
import { getJson, waitForOk } from "../../lib/http-probe";
import { onInterrupt } from "../../lib/interrupt";
import { say, step, StepError } from "../../lib/progress";
import { ensureToolchain } from "./setup";
import type { Stack } from "@pulumi/pulumi/automation";

export const mainJobSpec: VerbSpec = {
  name: "",
  summary: "the main job: up a fresh ci stack, wait until healthy, print the endpoints, destroy it",
  flags: {
    keep: { type: "boolean", description: "keep the stack afterwards (for debugging); destroy it later with `cp3 destroy`" },
  },
};

export const newRunId = () => `${Date.now().toString(36)}-${randomBytes(2).toString("hex")}`;

/** The health gate: the gateway answers, NATS is healthy with JetStream enabled (through Toxiproxy). */
export async function healthGate(outputs: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
  const monitor = String(outputs.natsMonitorUrl ?? "");
  if (!monitor.startsWith("http://127.0.0.1:")) throw new StepError("health gate", `natsMonitorUrl output is "${monitor}", expected http://127.0.0.1:<port>`);
  const status = await waitForOk(`${monitor}/healthz?js-enabled-only=true`, 60_000, signal);
  if (status !== 200) throw new StepError("health gate", `NATS ${monitor}/healthz?js-enabled-only=true answered ${status || "nothing"} within 60 s`);
  const jsz = await getJson<{ config?: { store_dir?: string } }>(`${monitor}/jsz`);
  if (jsz.status !== 200 || !jsz.body?.config) throw new StepError("health gate", `NATS ${monitor}/jsz answered ${jsz.status} without a JetStream config`);
  const gateway = String(outputs.gatewayUrl ?? "");
  const ready = await waitForOk(`${gateway}/readyz`, 60_000, signal);
  if (ready !== 200) throw new StepError("health gate", `gateway ${gateway}/readyz answered ${ready || "nothing"} within 60 s`);
}

export async function runMainJob(parsed: Parsed): Promise<number> {
  const toolchain = await ensureToolchain();
  const name = `ci-${newRunId()}`;
  const interrupt = onInterrupt(say);
  let stack: Stack | undefined;
  try {
    stack = await step(`open stack ${name}`, () => openStack(name, toolchain));
    const opened = stack;
    const { outputs } = await step(`up ${name}`, () => upStack(opened, interrupt.signal));
    await step("health gate", () => healthGate(outputs, interrupt.signal));
    process.stdout.write(`stack ${name} is healthy; endpoints:\n`);
    process.stdout.write(formatOutputs(outputs, "  "));
    return 0;
  } catch (err) {
    if (interrupt.received()) return 130;
    throw err;
  } finally {
    interrupt.dispose();
    if (stack && parsed.values.keep !== true) {
      const opened = stack;
      await step(`destroy ${name}`, () => destroyAlways(opened));
    } else if (stack) {
      say(`kept stack ${name}; remove it with: npm run cp3 -- destroy --stack ${name}`);
    }
  }
}
