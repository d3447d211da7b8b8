// Debian version ordering, checked against `dpkg --compare-versions` on cases from deb-version(7) and from the
// packages this project's images hold.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compareDebianVersions, parseDebianVersion } from "../../supply-chain/debian-version";

const ORDERED: [string, string][] = [
  ["1.0~rc1", "1.0"],
  ["1.0", "1.0-1"],
  ["1.0-1", "1.0-1+deb12u1"],
  ["1.0-1+deb12u1", "1.0-1+deb12u2"],
  ["1.0-1+deb12u9", "1.0-1+deb12u10"],
  ["2.36-9+deb12u9", "2.36-9+deb12u10"],
  ["3.0.15-1~deb12u1", "3.0.16-1~deb12u1"],
  ["1:2.0", "9:1.0"],
  ["1.2.3", "1.2.10"],
  ["1.0a", "1.0b"],
  ["1.0a", "1.0+"],
  ["1.0~~", "1.0~"],
  ["1.0", "1.0.0"],
  ["0:1.0", "1:0.1"],
  ["252.30-1~deb12u2", "252.31-1~deb12u1"],
  ["7.88.1-10+deb12u8", "7.88.1-10+deb12u12"],
];

describe("Debian versions", () => {
  it("splits epoch, upstream and revision (the last '-' starts the revision)", () => {
    expect(parseDebianVersion("1:2.3-4-5")).toEqual({ epoch: 1, upstream: "2.3-4", revision: "5" });
    expect(parseDebianVersion("2.3")).toEqual({ epoch: 0, upstream: "2.3", revision: "" });
  });

  it.each(ORDERED)("%s < %s", (older, newer) => {
    expect(compareDebianVersions(older, newer)).toBeLessThan(0);
    expect(compareDebianVersions(newer, older)).toBeGreaterThan(0);
    expect(compareDebianVersions(older, older)).toBe(0);
  });

  it("treats leading zeros and a missing epoch as the same version", () => {
    expect(compareDebianVersions("1.01", "1.1")).toBe(0);
    expect(compareDebianVersions("0:1.1", "1.1")).toBe(0);
  });

  it.runIf(fs.existsSync("/usr/bin/dpkg"))("agrees with dpkg --compare-versions on every pair", () => {
    const versions = [...new Set(ORDERED.flat())];
    for (const a of versions) {
      for (const b of versions) {
        const lt = (() => {
          try {
            execFileSync("/usr/bin/dpkg", ["--compare-versions", a, "lt", b]);
            return true;
          } catch {
            return false;
          }
        })();
        expect(compareDebianVersions(a, b) < 0, `${a} lt ${b}`).toBe(lt);
      }
    }
  });
});
