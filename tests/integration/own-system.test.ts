// A system that is not cp3's own, proven end to end from its description alone: examples/orders-py (Python, a PUT
// route with X-Request-Id, its own database, schema and oracle) through `cp3 run --system`, with two faults on its
// own consumer role. Nothing in cp3 knows this system; only its system.yaml does.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { leftovers } from "../../lifecycle/stacks";
import { projectRoot } from "../../lib/paths";
import type { RunReport } from "../../reporting/model";
import { runCli } from "./cli-process";

const reportBase = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-own-system-"));
afterAll(() => fs.rmSync(reportBase, { recursive: true, force: true }));

const example = (...parts: string[]) => path.join(projectRoot, "examples", "orders-py", ...parts);

describe("cp3 run --system (a described system of its own)", () => {
  it("proves the orders system: load on its route, faults on its consumer role, integrity from its oracle", async () => {
    const experiments = [example("experiments", "fulfil-kill.json"), example("experiments", "fulfil-pause.json")].join(",");
    // A gentle rate: this is about cp3 driving a foreign system correctly, not about its speed.
    // --tls off: its own NATS client has no TLS (examples/orders-py/system.yaml).
    const r = await runCli(["run", "--system", example("system.yaml"), "--tls", "off", "--experiments", experiments, "--duration", "90s", "--rate", "20", "--seed", "7", "--report-dir", reportBase], 900_000);
    expect(r.code, r.output.slice(-4000)).toBe(0);
    const html = /^report: (.+report\.html)$/m.exec(r.output)?.[1];
    expect(html, r.output.slice(-2000)).toBeDefined();
    const report = JSON.parse(fs.readFileSync(path.join(path.dirname(html!), "report.json"), "utf8")) as RunReport;
    expect(report).toMatchObject({ verdict: "ready", system: "orders" });
    // Its requests: PUT /api/orders/<key> with the key in X-Request-Id, answered 201.
    const plan = JSON.parse(fs.readFileSync(path.join(path.dirname(html!), "plan.json"), "utf8")) as { request: { method: string; path: string; idempotencyHeader: string } };
    expect(plan.request).toMatchObject({ method: "PUT", path: "/api/orders/{{key}}", idempotencyHeader: "X-Request-Id" });
    expect(report.load!.acknowledged).toBeGreaterThan(1_500);
    // Its oracle's counts: every acknowledged order fulfilled exactly once.
    expect(report.integrity).toMatchObject({ lost: [], duplicates: [], unexpected: [], passed: true });
    expect(report.integrity!.processed).toBe(report.integrity!.acknowledged);
    expect(report.integrity!.reads).toBeGreaterThan(1);
    // The faults hit its own consumer containers, by the role its description gives them.
    expect(report.experiments.map((e) => [e.name, e.status])).toEqual(report.schedule.map((s) => [s.experiment, "passed"]));
    for (const e of report.experiments) for (const f of e.faults) expect(f.targets.every((t) => t.includes("orders-fulfil")), JSON.stringify(f)).toBe(true);
    expect(await leftovers(report.stack)).toEqual([]);
  }, 900_000);
});
