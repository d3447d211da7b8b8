// The staging form of the program under Pulumi's mocks.
import { describe, expect, it } from "vitest";
import { CONTAINER, ciConfig, envValue, loadProgram } from "./program-harness";

describe("the staging program", () => {
  it("runs three NATS servers with cluster routes on staging", async () => {
    const { registry } = await loadProgram("staging", { ...ciConfig, "cp3:kind": "staging", "cp3:nats": JSON.stringify({ replicas: 3, storeMiB: 128, memoryMiB: 384 }) });
    const conf = envValue(registry.one(CONTAINER, "nats-2"), "NATS_CONFIG")!;
    expect(conf).toContain('listen: "0.0.0.0:6222"');
    for (const i of [0, 1, 2]) expect(conf).toContain(`"nats://nats-${i}:6222"`);
    expect(JSON.parse(envValue(registry.one(CONTAINER, "jetstream-setup-run"), "STREAM_CONFIG")!).num_replicas).toBe(3);
  });
});
