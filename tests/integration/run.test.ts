// The CP3 run end to end through the real engine, the way a user starts it: two smoke runs with two chaos
// experiments each at once (both pass, their reports parse, nothing of theirs is left); SIGINT during the load
// (exit 130, stack destroyed); SIGKILL of the driver (then `cp3 sweep` removes everything it left).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { leftovers } from "../../lifecycle/stacks";
import { readOwners, stackInCheckout } from "../../lifecycle/owners";
import { projectRoot } from "../../lib/paths";
import type { RunReport, SupplyChainScan } from "../../reporting/model";
import { cliMainPid, runCli, startCli } from "./cli-process";

const reportBase = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-run-test-"));
afterAll(() => fs.rmSync(reportBase, { recursive: true, force: true }));

const stackOf = (output: string) => /run [a-z0-9-]+: stack (ci-[a-z0-9-]+)/.exec(output)?.[1];

function readReport(output: string): { dir: string; report: RunReport } {
  const html = /^report: (.+report\.html)$/m.exec(output)?.[1];
  expect(html, output.slice(-2000)).toBeDefined();
  const dir = path.dirname(html!);
  return { dir, report: JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8")) as RunReport };
}

describe("cp3 run", () => {
  it("two smoke runs with two experiments each, at once, both pass and leave nothing", async () => {
    // A gentle rate: this is about two runs sharing one engine safely, on a 2-core machine, not about speed.
    const args = ["run", "--duration", "60s", "--rate", "20", "--experiments", "worker-kill,nats-restart", "--report-dir", reportBase];
    const [a, b] = await Promise.all([runCli([...args, "--seed", "11"], 600_000), runCli([...args, "--seed", "12"], 600_000)]);
    for (const r of [a, b]) {
      expect(r.code, r.output.slice(-4000)).toBe(0);
      expect(r.output).toMatch(/^verdict: READY/m);
      const { dir, report } = readReport(r.output);
      expect(report.verdict).toBe("ready");
      expect(report.experiments.map((e) => [e.name, e.status])).toEqual(report.schedule.map((s) => [s.experiment, "passed"]));
      expect(report.experiments.map((e) => e.name).sort()).toEqual(["nats-restart", "worker-kill"]);
      expect(report.integrity).toMatchObject({ lost: [], duplicates: [], unexpected: [], passed: true });
      expect(report.integrity!.acknowledged).toBeGreaterThan(1100);
      expect(report.load!.timeline.length).toBeGreaterThanOrEqual(39);
      expect(report.steps.map((s) => s.name)).toContain(`destroy ${report.stack}`);
      // TLS is on in ci stacks: NATS required it and every PostgreSQL TCP session seen during the load was encrypted.
      expect(report.transport).toMatchObject({ tls: true, nats: { servers: 1, tlsRequired: 1 }, postgres: { unencrypted: 0 } });
      expect(report.transport!.postgres.sessions).toBeGreaterThan(0);
      expect(Object.keys(report.transport!.postgres.byClient)).toEqual(expect.arrayContaining(["gateway", "worker-0", "worker-1"]));
      // The monitoring is on in ci stacks: every panel drawn from Prometheus, and both faults set off an alert.
      const o = report.observability!;
      expect(o.panels.filter((p) => p.series.length === 0).map((p) => p.id)).toEqual([]);
      expect(o.alerts.detections.map((d) => `${d.experiment} ${d.status}`).sort(), JSON.stringify(o.alerts, null, 1)).toEqual(["nats-restart detected", "worker-kill detected"]);
      // Tracing is on with it: every processed record's trace looked up in Jaeger, at least 99 % complete.
      expect(report.traces).toMatchObject({ expected: expect.arrayContaining([{ service: "worker", name: "records.ack" }]) });
      expect(report.traces!.checked).toBeGreaterThan(1000);
      expect(report.traces!.coverage!, JSON.stringify(report.traces!.missingBySpan)).toBeGreaterThanOrEqual(0.99);
      expect(fs.readFileSync(path.join(dir, "junit.xml"), "utf8")).toMatch(/^<\?xml[\s\S]*<testsuites[\s\S]*<\/testsuites>\s*$/);
      expect(fs.readFileSync(path.join(dir, "report.html"), "utf8")).toContain("<svg");
      // The images were scanned: no image check finding, an SBOM of each with its Debian, npm and Go parts.
      const scan = report.supplyChain as SupplyChainScan;
      expect(scan.findings, JSON.stringify(scan.images.flatMap((i) => i.findings))).toBe(0);
      expect(scan.images.map((i) => i.sbom && !("error" in i.sbom) && fs.existsSync(i.sbom.file))).toEqual(scan.images.map(() => true));
      expect(scan.sbomComponents).toMatchObject({ deb: expect.any(Number), npm: expect.any(Number), golang: expect.any(Number) });
      // No report file holds a connection string with a password in it.
      for (const f of fs.readdirSync(dir).filter((x) => fs.statSync(path.join(dir, x)).isFile())) expect(fs.readFileSync(path.join(dir, f), "utf8"), f).not.toMatch(/postgres(ql)?:\/\/[^:@/\s]+:[^@\s]+@/);
      expect(await leftovers(report.stack)).toEqual([]);
      expect(stackInCheckout(projectRoot, report.stack)).toBe(false);
      expect(readOwners().has(report.stack)).toBe(false);
    }
    // The same seed gives the same schedule; different seeds were asked for here.
    expect(readReport(a.output).report.seed).toBe(11);
  }, 900_000);

  it("SIGINT during the load: the stack is destroyed, exit 130, nothing left", async () => {
    const p = startCli(["run", "--duration", "120s", "--experiments", "none", "--report-dir", reportBase]);
    await p.waitFor(/step load \(smoke\) with chaos \.\.\./, 300_000);
    await new Promise((r) => setTimeout(r, 5_000));
    const stack = stackOf(p.output())!;
    process.kill(-p.child.pid!, "SIGINT");
    expect(await p.exited, p.output().slice(-3000)).toBe(130);
    expect(p.output()).toMatch(new RegExp(`step destroy ${stack} done`));
    expect(p.output()).toMatch(/^verdict: INTERRUPTED/m);
    expect(readReport(p.output()).report.verdict).toBe("interrupted");
    expect(await leftovers(stack)).toEqual([]);
  }, 600_000);

  it("SIGKILL of the driver: `cp3 sweep` removes what it left, and its stack state", async () => {
    const p = startCli(["run", "--duration", "120s", "--experiments", "none", "--report-dir", reportBase]);
    await p.waitFor(/step load \(smoke\) with chaos \.\.\./, 300_000);
    const stack = stackOf(p.output())!;
    const main = cliMainPid(p.child.pid!);
    expect(main).toBeDefined();
    process.kill(-main!, "SIGKILL"); // the driver and its load engine with it, with no chance to clean up
    process.kill(p.child.pid!, "SIGKILL");
    await p.exited;
    expect((await leftovers(stack)).length).toBeGreaterThan(5);

    const dry = await runCli(["sweep", "--dry-run"], 120_000);
    expect(dry.code).toBe(0);
    expect(dry.output).toMatch(new RegExp(`would remove  ${stack}  its owner \\(pid ${main}\\) ended without destroying it`));
    expect((await leftovers(stack)).length).toBeGreaterThan(5);

    const sweep = await runCli(["sweep"], 300_000);
    expect(sweep.code, sweep.output).toBe(0);
    expect(sweep.output).toMatch(new RegExp(`removed  ${stack}`));
    expect(await leftovers(stack)).toEqual([]);
    expect(stackInCheckout(projectRoot, stack)).toBe(false);
    expect(readOwners().has(stack)).toBe(false);
  }, 600_000);
});
