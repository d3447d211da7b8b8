// The trace ids the driver computes must be the ones the load generator sent (toolchain/loadgen/plan_test.go
// holds the same values).
import { describe, expect, it } from "vitest";
import { requestNumberOf, sampledRequest, traceIdOf } from "../../lib/trace-ids";

describe("trace ids of a run's requests", () => {
  it("are SHA-256(keyPrefix)'s first 8 bytes, then n, as loadgen sends them", () => {
    expect(traceIdOf("run:42", 0)).toBe("33fa04c64347fabf0000000000000000");
    expect(traceIdOf("run:42", 2)).toBe("33fa04c64347fabf0000000000000002");
    expect(traceIdOf("run:42", 255)).toBe("33fa04c64347fabf00000000000000ff");
  });

  it("read n back from a key of the run, and nothing from another run's", () => {
    expect(requestNumberOf("run:42", "run:42-17")).toBe(17);
    expect(requestNumberOf("run:42", "run:4-17")).toBeUndefined();
    expect(requestNumberOf("run:42", "run:42-seed-3")).toBeUndefined();
    expect(requestNumberOf("run:42", "run:42-017")).toBeUndefined();
  });

  it("sample one request in `every`, from the first", () => {
    expect([0, 1, 2, 3, 4].filter((n) => sampledRequest(n, 2))).toEqual([0, 2, 4]);
    expect([0, 1, 2].every((n) => sampledRequest(n, 1))).toBe(true);
  });
});
