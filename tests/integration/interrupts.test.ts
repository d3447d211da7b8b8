// Runs killed at a random point leave nothing behind once the sweep has run: one run per way of dying (Ctrl-C,
// SIGTERM, SIGKILL of the driver, SIGKILL of the Pulumi CLI), each signalled while it works. `cp3 bench
// interrupts N` is the same with more runs.
import { beforeAll, describe, expect, it } from "vitest";
import { benchInterrupts, INTERRUPT_KINDS } from "../../bench/interrupts";
import { setup, type Toolchain } from "../../toolchain/setup";

let toolchain: Toolchain;

beforeAll(async () => {
  const result = await setup({ checkOnly: true });
  expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  toolchain = result.toolchain;
});

describe("interrupted runs", () => {
  it("leave no container, network, volume, state, owner entry, process or chaos leftover after the sweep", async () => {
    // Signals within 40 s of the stack opening: during up, the seed or the load, never after the run's end.
    const f = await benchInterrupts(toolchain, { rounds: INTERRUPT_KINDS.length, seed: 20261201, maxDelaySeconds: 40 });
    expect(f.outcomes.map((x) => x.kind)).toEqual([...INTERRUPT_KINDS]);
    for (const x of f.outcomes) {
      expect(x.atSeconds, `${x.kind}: the run ended before the signal`).toBeDefined();
      expect(x.left, `${x.kind} at ${x.atSeconds} s during "${x.during}"`).toEqual([]);
    }
    // Ctrl-C and SIGTERM are handled: the run cleans up itself and says it was interrupted.
    expect(f.outcomes.filter((x) => x.kind === "sigint" || x.kind === "sigterm").map((x) => x.exitCode)).toEqual([130, 130]);
    expect(f.leaking).toBe(0);
  }, 1_500_000);
});
