// The Verification component under Pulumi's mocks: the Stash it binds the proof to holds exactly what the proof
// depends on (so a change proves again and a no-op does not), and bad settings are refused by `cp3 verify
// --check` before any child exists. (The proof itself runs against real containers: tests/integration/verify-hook.)
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Verification } from "../../components/verification";
import { projectRoot } from "../../lib/paths";
import { installMocks, registeredHooks, type MockRegistry } from "./mock-registry";

const STASH = "pulumi:index:Stash";
let registry: MockRegistry;
beforeAll(async () => {
  registry = await installMocks("ci-unit-verify");
});

describe("Verification", () => {
  it("binds the proof to a Stash of the outputs, the description's hash and cp3 verify's flags", async () => {
    const outputs = { gatewayUrl: "http://127.0.0.1:40001", containers: { worker: ["cp3-x-worker-0"] } };
    new Verification("verification", { stack: "ci-x", outputs, fingerprint: "f".repeat(64), settings: { duration: "40s", experiments: ["worker-kill"], seed: 1, rate: 80 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stash = registry.one(STASH, "verification-proved");
    expect(stash.inputs).toEqual({
      input: {
        outputs,
        fingerprint: "f".repeat(64),
        flags: ["--stack", "ci-x", "--profile", "smoke", "--report-dir", path.join(projectRoot, "report"), "--duration", "40s", "--rate", "80", "--experiments", "worker-kill", "--seed", "1"],
      },
    });
    expect(registeredHooks).toEqual(["verification-cp3-verify"]);
  }, 60_000);

  it.each([
    [{ profile: "spike" }, '--profile: got "spike"; allowed: smoke, load, stress, soak'],
    [{ experiments: ["worker-kil"] }, "--experiments: "],
    [{ duration: "5" }, '--duration: got "5"'],
  ])("refuses %j by cp3 verify's own check, declaring nothing", async (settings, message) => {
    expect(() => new Verification("bad", { stack: "ci-x", outputs: {}, fingerprint: "0", settings })).toThrow(`Verification bad: the verify settings are refused: cp3: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(registry.byType(STASH).map((r) => r.name)).not.toContain("bad-proved");
  }, 60_000);
});
