// Which stacks the orphan sweep removes, and which it leaves alone, with the reason it gives.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import type { Owner } from "../../lifecycle/owners";
import { decide } from "../../lifecycle/sweep";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const alive: Owner = { stack: "ci-a", kind: "session", pid: process.pid, pidStart: "", projectRoot: "/nowhere", since: "2026-11-24T11:00:00Z" };
// This process's own start time makes it a live owner; pid 1's recorded with a wrong start time is a dead one.
const self = (): Owner => ({ ...alive, pidStart: fs.readFileSync(`/proc/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]! });
const dead: Owner = { ...alive, pid: 1, pidStart: "no-such-start" };

describe("the sweep's rules", () => {
  it("leaves a stack whose owner still runs, even past its expiry", () => {
    expect(decide("ci-a", { objects: [], expires: "2026-11-24T06:00:00Z" }, self(), NOW)).toEqual({ orphan: false, reason: `in use by pid ${process.pid} since 2026-11-24T11:00:00Z` });
  });

  it("removes an expired stack, and a ci stack whose owner died", () => {
    expect(decide("ci-a", { objects: [], expires: "2026-11-24T06:00:00Z" }, undefined, NOW)).toEqual({ orphan: true, reason: "expired at 2026-11-24T06:00:00Z" });
    expect(decide("ci-a", { objects: [] }, dead, NOW)).toEqual({ orphan: true, reason: "its owner (pid 1) ended without destroying it" });
  });

  it("removes a kept ci stack only once its state is gone", () => {
    const kept: Owner = { ...dead, kind: "kept", projectRoot: "/nowhere" };
    expect(decide("ci-a", { objects: [] }, kept, NOW)).toEqual({ orphan: true, reason: "its stack no longer exists in /nowhere" });
  });

  it("never removes dev or staging for a dead owner, nor a stack with no owner on record", () => {
    expect(decide("dev", { objects: [] }, dead, NOW)).toEqual({ orphan: false, reason: "dev and staging stacks are only removed by `cp3 destroy`" });
    expect(decide("ci-b", { objects: [], expires: "2026-11-24T18:00:00Z" }, undefined, NOW)).toEqual({ orphan: false, reason: "no owner on record; left until it expires" });
  });
});
