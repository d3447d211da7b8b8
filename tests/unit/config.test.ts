import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../stacks/config";

const ci = { "cp3:kind": "ci", "cp3:nats": JSON.stringify({ storeMiB: 256, memoryMiB: 512, cpus: 1 }) };

describe("parseConfig", () => {
  it("applies defaults for what a stack leaves out", () => {
    expect(parseConfig({ "cp3:kind": "ci" }, "ci-x1")).toEqual({
      kind: "ci",
      run: "ci-x1",
      expires: "",
      nats: { storeMiB: 256, memoryMiB: 512, cpus: 1 },
    });
  });

  it("keeps a zero it was given instead of replacing it with a default", () => {
    // cpus 0 is invalid, and must be reported as such, not silently turned into the default of 1.
    expect(() => parseConfig({ ...ci, "cp3:nats": JSON.stringify({ cpus: 0 }) }, "ci")).toThrow(/cp3:nats\.cpus: got 0/);
  });

  it("reports every bad key at once, with what it got and what is allowed", () => {
    let error: unknown;
    try {
      parseConfig(
        {
          "cp3:kind": "prod",
          "cp3:colour": "blue",
          "cp3:expires": "tomorrow",
          "cp3:nats": JSON.stringify({ storeMiB: "lots", memoryMiB: 100, replicas: 3 }),
          "other:key": "ignored",
        },
        "ci",
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "cp3:colour: unknown key; allowed keys: cp3:kind, cp3:run, cp3:expires, cp3:nats",
      'cp3:kind: got "prod"; allowed: ci, dev, staging (required)',
      'cp3:expires: got "tomorrow"; allowed: an ISO 8601 time such as 2026-11-24T12:00:00Z, or empty',
      "cp3:nats.replicas: unknown key; allowed keys: storeMiB, memoryMiB, cpus",
      'cp3:nats.storeMiB: got "lots"; allowed: an integer from 16 to 65536',
      "cp3:nats.memoryMiB: got 100; allowed: at least nats.storeMiB + 64 (320), since the tmpfs store counts against the memory limit",
    ]);
  });

  it("rejects a memory limit that leaves no room beside the tmpfs store", () => {
    expect(() => parseConfig({ ...ci, "cp3:nats": JSON.stringify({ storeMiB: 512, memoryMiB: 512 }) }, "ci")).toThrow(
      "cp3:nats.memoryMiB: got 512; allowed: at least nats.storeMiB + 64 (576), since the tmpfs store counts against the memory limit",
    );
  });

  it("accepts numbers given as strings, the way `pulumi config set` stores them", () => {
    expect(parseConfig({ ...ci, "cp3:nats": JSON.stringify({ storeMiB: "128", memoryMiB: "256" }) }, "ci").nats.storeMiB).toBe(128);
  });
});
