// Seeded schedules: the same seed gives the same schedule; experiments never overlap and fit in the load.
import { describe, expect, it } from "vitest";
import { findExperiment, mulberry32, planSchedule, plannedSeconds } from "../../chaos";

const names = ["worker-kill", "postgres-latency", "nats-restart"];

describe("planSchedule", () => {
  it("is deterministic: the same seed gives the same schedule, another seed another one", () => {
    expect(planSchedule(names, 42, 300)).toEqual(planSchedule(names, 42, 300));
    expect(planSchedule(names, 42, 300)).not.toEqual(planSchedule(names, 43, 300));
  });

  it.each([1, 2, 3, 42, 1234, 2 ** 31 - 1, -7])("seed %d: in order, no overlap, within the load, warm-up before the first", (seed) => {
    for (const load of [120, 300, 900]) {
      const plan = planSchedule(names, seed, load);
      expect(plan.map((p) => p.experiment)).toEqual(names);
      let end = 0;
      for (const p of plan) {
        expect(Number.isInteger(p.startAt)).toBe(true);
        expect(p.startAt).toBeGreaterThanOrEqual(end);
        end = p.startAt + plannedSeconds(findExperiment(p.experiment));
      }
      expect(end).toBeLessThanOrEqual(load);
      if (load > 120) expect(plan[0]!.startAt).toBeGreaterThan(0);
    }
  });

  it("refuses a load too short for the experiments, saying what each needs", () => {
    expect(() => planSchedule(names, 1, 60)).toThrow(/the load runs 60 s but the experiments need \d+ s \(worker-kill \d+ s, postgres-latency \d+ s, nats-restart \d+ s\)/);
  });

  it("refuses unknown names, a fractional seed and a non-positive load", () => {
    expect(() => planSchedule(["nope"], 1, 100)).toThrow(/unknown experiment "nope"/);
    expect(() => planSchedule(names, 1.5, 300)).toThrow("seed: got 1.5; allowed: an integer");
    expect(() => planSchedule(names, 1, 0)).toThrow("loadSeconds: got 0; allowed: a number of seconds above 0");
  });

  it("an empty list is an empty schedule", () => {
    expect(planSchedule([], 1, 10)).toEqual([]);
  });
});

describe("mulberry32", () => {
  it("repeats its sequence for a seed and stays in [0, 1)", () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});
