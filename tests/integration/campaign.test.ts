// A campaign end to end through the real engine (issue 16): a short campaign file of NATS restarts in the main lane
// and worker kills and packet loss in the overlap lane, under constant load. Every planned fault runs with its
// steady-state checks, the report carries the per-experiment figures, the placement of lost records and each
// container's memory, nothing acknowledged is lost or duplicated, and nothing of the stack is left.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { leftovers } from "../../lifecycle/stacks";
import type { RunReport } from "../../reporting/model";
import { runCli } from "./cli-process";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-campaign-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const campaign = {
  name: "short-storm",
  description: "four NATS restarts; worker kills and packet loss overlapping them",
  warmupSeconds: 30,
  quietTailSeconds: 30,
  slo: { p95Ms: 500, p99Ms: 3000, maxFailedRate: 0.05 },
  experiments: [
    { experiment: "nats-restart", count: 4, durationSeconds: 3 },
    { experiment: "worker-kill", count: 3, durationSeconds: 3, overlap: true },
    { experiment: "data-packet-loss", count: 1, durationSeconds: 5, overlap: true },
  ],
};

describe("cp3 run --campaign", () => {
  it("runs every planned fault in two lanes under load, reports per experiment, loses nothing and leaves nothing", async () => {
    const file = path.join(dir, "short-storm.json");
    fs.writeFileSync(file, JSON.stringify(campaign));
    // The growth limit is wide: three minutes say nothing about a leak (the unit tests judge growth); the series must be there.
    const r = await runCli(["run", "--campaign", file, "--profile", "soak", "--duration", "3m", "--rate", "50", "--seed", "1612", "--max-rss-growth", "500", "--report-dir", dir], 900_000);
    const html = /^report: (.+report\.html)$/m.exec(r.output)?.[1];
    expect(html, r.output.slice(-4000)).toBeDefined();
    const report = JSON.parse(fs.readFileSync(path.join(path.dirname(html!), "report.json"), "utf8")) as RunReport;
    expect(r.code, `${report.reasons.join("\n")}\n${r.output.slice(-3000)}`).toBe(0);
    expect(r.output).toMatch(/^campaign short-storm: 8 faults of 3 kinds, \d+ acknowledged, 0 lost, 0 duplicated$/m);

    expect(report.schedule.map((s) => s.lane)).toEqual(expect.arrayContaining(["main", "overlap"]));
    for (const s of report.schedule) {
      expect(s.startAt).toBeGreaterThanOrEqual(30);
      expect(s.startAt).toBeLessThanOrEqual(150);
    }
    const figures = Object.fromEntries(report.campaign!.experiments.map((x) => [x.experiment, [x.planned, x.injected, x.passed]]));
    expect(figures).toEqual({ "nats-restart": [4, 4, 4], "worker-kill": [3, 3, 3], "data-packet-loss": [1, 1, 1] });
    for (const x of report.campaign!.experiments) expect(x.recoverySeconds).toBeDefined();
    expect(report.campaign!.placements.map((p) => [p.where, p.lost, p.duplicated])).toEqual([
      ["before the first fault", 0, 0],
      ["between faults", 0, 0],
      ["after the last fault", 0, 0],
    ]);
    expect(report.experiments.every((e) => e.faults.every((f) => f.removed))).toBe(true);
    expect(report.integrity).toMatchObject({ lost: [], duplicates: [], passed: true });

    // Memory of every container, sampled every 5 s through the load; the restarted ones are not judged.
    const services = new Set(report.memory!.series.map((s) => s.service));
    for (const s of ["gateway", "worker", "nats", "postgres"]) expect(services).toContain(s);
    const gateway = report.memory!.series.find((s) => s.service === "gateway")!;
    expect(gateway.samples.length).toBeGreaterThanOrEqual(30);
    expect(gateway.samples.every((x) => x.rssBytes > 1024 * 1024)).toBe(true);
    expect(report.memory!.growth.find((g) => g.container.endsWith("nats-0"))).toMatchObject({ judged: false, passed: true });
    expect(fs.readFileSync(html!, "utf8")).toContain('id="chart-memory"');

    expect(await leftovers(report.stack)).toEqual([]);
  }, 900_000);
});
