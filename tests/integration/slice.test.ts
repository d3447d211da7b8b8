// Through the Automation API and the real engine: up a ci stack, check NATS is healthy with JetStream on a
// tmpfs mount (from outside and inside the container), destroy, and find nothing left carrying its label.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, leftovers, openStack, upStack } from "../../cli/stacks";
import { newRunId } from "../../cli/verbs/main-job";
import * as docker from "../../lib/docker-api";
import { getJson } from "../../lib/http-probe";
import { setup, type Toolchain } from "../../toolchain/setup";

const stackName = `ci-it-${newRunId()}`;
let toolchain: Toolchain;
let stack: Stack | undefined;
let outputs: Record<string, unknown> = {};
let destroyed = false;

beforeAll(async () => {
  // `npm test` ran the set-up; if anything is missing here, say what instead of skipping.
  const result = await setup({ checkOnly: true });
  expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  toolchain = result.toolchain;
  stack = await openStack(stackName, toolchain);
  outputs = await upStack(stack);
}, 600_000);

afterAll(async () => {
  // Clean up even when an assertion failed, like testcontainers does.
  if (stack && !destroyed) await destroyStack(stack, { remove: true });
}, 300_000);

describe(`the slice on a real engine (${stackName})`, () => {
  it("serves NATS healthy with JetStream enabled on 127.0.0.1", async () => {
    const monitor = String(outputs.natsMonitorUrl);
    expect(monitor).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(String(outputs.natsUrl)).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect((await getJson(`${monitor}/healthz?js-enabled-only=true`)).status).toBe(200);
    const jsz = await getJson<{ config: { store_dir: string; max_storage: number } }>(`${monitor}/jsz`);
    expect(jsz.status).toBe(200);
    expect(jsz.body?.config.store_dir).toBe("/data/jetstream");
    expect(jsz.body?.config.max_storage).toBe(Math.floor(256 * 0.9) * 1024 * 1024);
  });

  it("runs the container hardened, healthy, with the store on tmpfs", async () => {
    const name = String((outputs.containers as { nats: string }).nats);
    const info = await docker.inspectContainer(name);
    expect(info.State.Health?.Status).toBe("healthy");
    expect(info.Config.User).toBe("10001:10001");
    expect(info.Config.Labels["cp3.stack"]).toBe(stackName);
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
    expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(info.HostConfig.Tmpfs?.["/data"]).toContain("size=256m");
    for (const bindings of Object.values(info.NetworkSettings.Ports ?? {})) {
      for (const b of bindings ?? []) expect(b.HostIp).toBe("127.0.0.1");
    }
    // Inside the container: the store's file system really is a tmpfs.
    const fsType = await docker.exec(name, ["stat", "-f", "-c", "%T", "/data/jetstream"]);
    expect(fsType).toEqual({ output: expect.stringMatching(/^tmpfs\s*$/), exitCode: 0 });
  });

  it("leaves no container, network or volume with the stack's label after destroy", async () => {
    expect((await leftovers(stackName)).length).toBeGreaterThan(0);
    await destroyStack(stack!, { remove: true });
    destroyed = true;
    expect(await leftovers(stackName)).toEqual([]);
    const stacks = await stack!.workspace.listStacks();
    expect(stacks.map((s) => s.name)).not.toContain(stackName);
  }, 300_000);
});

describe("removing stacks", () => {
  it("keeps the committed stacks/Pulumi.ci.yaml when the `ci` stack itself is removed", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const { projectRoot } = await import("../../lib/paths");
    const committed = path.join(projectRoot, "stacks", "Pulumi.ci.yaml");
    const before = fs.readFileSync(committed, "utf8");
    const ci = await openStack("ci", toolchain);
    await destroyStack(ci, { remove: true });
    expect(fs.readFileSync(committed, "utf8")).toBe(before);
  }, 120_000);
});
