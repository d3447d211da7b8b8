// lib/poll: the one polling helper. The clock is vitest's fake one, so the pauses are checked exactly and the
// tests never wait for real time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { poll, pollUntil, PollTimeoutError, type Probe } from "../../lib/poll";

/** A probe that gives nothing `misses` times, then `value`; it notes each try and when (fake clock) it ran. */
function probeFor<T>(misses: number, value: T) {
  const at: number[] = [];
  const probe: Probe<T> = async (note) => {
    at.push(Date.now());
    if (at.length > misses) return value;
    note(`try ${at.length}: not yet`);
    return undefined;
  };
  return { probe, at };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("pollUntil", () => {
  it("returns the value of the first probe that gives one (here the third)", async () => {
    const { probe, at } = probeFor(2, "ready");
    const result = pollUntil(probe, { timeoutMs: 10_000, intervalMs: 100, what: "ready" });
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toBe("ready");
    expect(at).toHaveLength(3);
  });

  it("pauses intervalMs between probes, and the last pause only until the deadline", async () => {
    const { probe, at } = probeFor(Infinity, "never");
    const result = poll(probe, { timeoutMs: 250, intervalMs: 100, what: "never" });
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toEqual({ done: false, why: "timeout", probes: 4, last: "try 4: not yet" });
    expect(at.map((t) => t - 1_000_000)).toEqual([0, 100, 200, 250]);
  });

  it("throws at the deadline, naming what it waited for and the last observation", async () => {
    const { probe, at } = probeFor(Infinity, "never");
    const result = pollUntil(probe, { timeoutMs: 1_000, intervalMs: 300, what: "the engine's socket" });
    const caught = result.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(2_000);
    const err = await caught;
    expect(err).toBeInstanceOf(PollTimeoutError);
    expect((err as Error).message).toBe("timed out after 1 s waiting for the engine's socket (5 probes; last seen: try 5: not yet)");
    expect(at).toHaveLength(5); // 0, 300, 600, 900, 1000
  });

  it("probes once even with no time at all", async () => {
    const { probe, at } = probeFor(0, 42);
    await expect(pollUntil(probe, { timeoutMs: 0, intervalMs: 100, what: "x" })).resolves.toBe(42);
    expect(at).toHaveLength(1);
  });

  it("ends with the signal's reason when aborted: at once during a pause, and without a probe once aborted", async () => {
    const controller = new AbortController();
    const { probe, at } = probeFor(Infinity, "never");
    const result = pollUntil(probe, { timeoutMs: 60_000, intervalMs: 10_000, signal: controller.signal, what: "x" });
    const caught = result.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(15_000); // probes at 0 and 10 000, now in the pause before 20 000
    expect(at).toHaveLength(2);
    const reason = new Error("interrupted by SIGINT");
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(await caught).toBe(reason);
    expect(at).toHaveLength(2);

    const before = probeFor(0, "value");
    await expect(pollUntil(before.probe, { timeoutMs: 1_000, intervalMs: 100, signal: controller.signal, what: "x" })).rejects.toBe(reason);
    expect(before.at).toHaveLength(0);
  });

  it("passes a probe's own error on and asks no more", async () => {
    let calls = 0;
    const failing: Probe<number> = async () => {
      calls++;
      if (calls === 2) throw new Error("psql: connection refused");
      return undefined;
    };
    const result = pollUntil(failing, { timeoutMs: 10_000, intervalMs: 100, what: "x" });
    const caught = result.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(((await caught) as Error).message).toBe("psql: connection refused");
    expect(calls).toBe(2);
  });
});

describe("poll", () => {
  it("reports how it ended instead of throwing", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(poll(probeFor(0, 1).probe, { timeoutMs: 100, intervalMs: 10, signal: controller.signal, what: "x" })).resolves.toEqual({ done: false, why: "aborted", probes: 0, last: undefined });
    await expect(poll(probeFor(1, "v").probe, { timeoutMs: 100, intervalMs: 0, what: "x" })).resolves.toEqual({ done: true, value: "v", probes: 2 });
  });
});
