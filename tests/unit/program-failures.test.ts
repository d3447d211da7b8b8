// Bad configuration, failed jobs and bad component arguments under Pulumi's mocks.
import { describe, expect, it, vi } from "vitest";
import { installMocks, jobExitCodes } from "./mock-registry";
import { CONTAINER, fakeToolchain } from "./program-harness";

describe("failure handling", () => {
  it("declares nothing and names every bad key when the configuration is bad", async () => {
    process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
    const registry = await installMocks("ci-bad", { "cp3:kind": "qa", "cp3:nats": JSON.stringify({ storeMiB: 8 }) });
    vi.resetModules();
    await expect(import("../../stacks/program")).rejects.toThrow(
      ["invalid stack configuration (2 problems):", '  - cp3:kind: got "qa"; allowed: ci, dev, staging (required)', "  - cp3:nats.storeMiB: got 8; allowed: an integer from 16 to 65536"].join("\n"),
    );
    expect(registry.resources).toEqual([]);
  });

  it("turns a job's non-zero exit into an error carrying its output, which every gated flow inherits", async () => {
    await installMocks("ci-job");
    jobExitCodes.set("migrate-run", 1);
    try {
      vi.resetModules();
      const { OneShotJob } = await import("../../components/job");
      const job = new OneShotJob("migrate", { owner: { stack: "ci-job", run: "ci-job", expires: "" }, image: "img", entrypoint: ["/bin/true"], envs: [], networkName: "net", user: "10003:10003" });
      const done = (job.done as unknown as { promise(): Promise<string> }).promise();
      await expect(done).rejects.toThrow("job cp3-ci-job-migrate exited with 1; its last output:\n    psql: error: connection refused");
    } finally {
      jobExitCodes.clear();
    }
  });

  it("rejects a NATS memory limit below its tmpfs store before creating any child", async () => {
    const registry = await installMocks("ci-args");
    vi.resetModules();
    const { Nats } = await import("../../components/nats");
    expect(() => new Nats("nats", { owner: { stack: "ci-args", run: "ci-args", expires: "" }, image: "img", networkName: "net", storeMiB: 256, memoryMiB: 256 })).toThrow(
      "Nats nats: memoryMiB is 256 but the 256 MiB tmpfs store counts against it; give at least 320",
    );
    expect(registry.byType(CONTAINER)).toEqual([]);
  });

});
