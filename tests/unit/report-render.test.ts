// The report renderers as text: junit.xml's structure and escaping, errored cases for steps that never ran,
// and report.html's escaping and self-containment. report-html.test.ts renders the page in Chromium.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderHtml } from "../../reporting/html";
import { renderJunit } from "../../reporting/junit";
import type { RunReport, TraceCoverage } from "../../reporting/model";
import { writeReport } from "../../reporting/write";
import { costOf } from "../../observability/cost";
import { HOSTILE_HTML_KEY, HOSTILE_XML_KEY, LOST_KEY, sampleReport } from "./report-fixture";

/** Each testcase as [suite, name, outcome element or "passed", its message]; a regex reading of our own output. */
function junitCases(xml: string): [string, string, string, string][] {
  const cases: [string, string, string, string][] = [];
  for (const suite of xml.matchAll(/<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g)) {
    for (const c of suite[2]!.matchAll(/<testcase classname="[^"]*" name="([^"]*)"[^>]*?(?:\/>|>\s*<(\w+)[^>]*?message="([^"]*)")/g)) {
      cases.push([suite[1]!, c[1]!, c[2] ?? "passed", c[3] ?? ""]);
    }
  }
  return cases;
}

describe("junit.xml", () => {
  it("has one test case per verdict, threshold, experiment and invariant, with the observed values", () => {
    const xml = renderJunit(sampleReport());
    expect(xml.split("\n").slice(0, 2)).toEqual(['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites name="cp3 ci 20250101T120000Z-7f3a" tests="9" failures="5" errors="0" skipped="0" time="190.400">']);
    expect(junitCases(xml)).toEqual([
      ["run", "verdict", "failure", "verdict not-ready: experiment db-latency failed: the consumer lag stayed above 100; 1 acknowledged record lost"],
      ["thresholds", "latency p95: p95 &lt; 99 ms (acknowledged requests)", "failure", "p95 180.25 ms over 5,400 acknowledged requests; needed p95 &lt; 99 ms (acknowledged requests)"],
      ["thresholds", "failed requests: at most 5 % failed", "passed", ""],
      ["experiments", "broker-partition", "passed", ""],
      ["experiments", "db-latency", "failure", "The consumer lag stayed above 100 after the fault was removed."],
      ["invariants", "no acknowledged record lost", "failure", `acknowledged but never processed (1): ${LOST_KEY}`],
      ["invariants", "no record processed twice", "passed", ""],
      ["invariants", "nothing processed that was never attempted", "passed", ""],
      ["transport", "every NATS server requires TLS and every PostgreSQL TCP session is encrypted", "failure", "TLS: 1 of 12 PostgreSQL TCP session(s) unencrypted (worker-0 1)"],
    ]);
    expect(xml).toContain(">acknowledged before-first-read: 0, between-reads: 1, after-last-read: 0</failure>");
    expect(xml.endsWith("</testsuites>\n")).toBe(true);
  });

  it("reports a skipped experiment as skipped and a passed run as passing", () => {
    const report = sampleReport();
    report.verdict = "ready";
    report.reasons = [];
    report.experiments[1]!.status = "skipped";
    report.experiments[1]!.reason = "sch_netem is not loaded in this kernel";
    const xml = renderJunit(report);
    expect(xml).toContain('<testcase classname="cp3.experiments" name="db-latency" time="17.000">\n      <skipped message="sch_netem is not loaded in this kernel"/>');
    expect(xml).toContain('<testcase classname="cp3.run" name="verdict" time="190.400"/>');
    expect(xml).toContain('<testsuite name="experiments" tests="2" failures="0" errors="0" skipped="1"');
  });

  it("escapes keys holding markup, quotes, a CDATA end and control characters", () => {
    const report = sampleReport();
    report.integrity!.duplicates = [{ key: HOSTILE_XML_KEY, effects: 2 }];
    report.integrity!.unexpected = ["bell\u0007key", HOSTILE_HTML_KEY];
    report.load!.thresholds[1]!.name = `failed{name:"a&b"}`;
    const xml = renderJunit(report);
    expect(junitCases(xml).filter(([suite]) => suite === "invariants").map((c) => c[3])).toEqual([
      `acknowledged but never processed (1): ${LOST_KEY}`,
      "keys with more than one effect (1): k&lt;&amp;&quot;&gt;&#39;]]&gt;",
      "processed but never attempted (2): bell\\u0007key, &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;",
    ]);
    expect(xml).toContain('name="failed{name:&quot;a&amp;b&quot;}: at most 5 % failed"');
    expect(xml).not.toContain(HOSTILE_XML_KEY);
    expect(xml).not.toContain("]]>");
    expect(xml).not.toContain("\u0007");
  });

  it("names at most 50 keys in a failure message, then says how many more", () => {
    const report = sampleReport();
    report.integrity!.lost = Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, acknowledgedAt: i, when: "after-last-read" as const, seenThenGone: false }));
    const message = junitCases(renderJunit(report)).find((c) => c[1] === "no acknowledged record lost")![3];
    const names = Array.from({ length: 50 }, (_, i) => `k${i}`).join(", ");
    expect(message).toBe(`acknowledged but never processed (120): ${names} and 70 more`);
  });

  it("turns a load or integrity step that never ran, and an experiment that never ran, into errored test cases", () => {
    const report: RunReport = { ...sampleReport(), verdict: "error", reasons: ["step up failed: dockerd did not answer"], load: undefined, integrity: undefined, transport: undefined };
    report.experiments = report.experiments.slice(0, 1);
    const xml = renderJunit(report);
    expect(junitCases(xml)).toEqual([
      ["run", "verdict", "error", "verdict error: step up failed: dockerd did not answer"],
      ["thresholds", "SLO gates", "error", "the load step did not run, so no SLO gate was checked"],
      ["experiments", "broker-partition", "passed", ""],
      ["experiments", "db-latency", "error", "scheduled at 38 s but did not run"],
      ["invariants", "integrity check", "error", "the integrity check did not run, so no invariant was checked"],
      ["transport", "every NATS server requires TLS and every PostgreSQL TCP session is encrypted", "skipped", "not watched: the run stopped before its load"],
    ]);
    expect(xml).toContain('<testsuites name="cp3 ci 20250101T120000Z-7f3a" tests="6" failures="0" errors="4" skipped="1"');
  });
});

describe("report.html", () => {
  const embeddedJson = (page: string) => /<script type="application\/json" id="cp3-report">([\s\S]*?)<\/script>/.exec(page)![1]!;

  it("escapes every string, and embeds the report JSON so no key can close its script element", () => {
    const report = sampleReport();
    report.integrity!.lost.push({ key: HOSTILE_HTML_KEY, acknowledgedAt: 30, when: "after-last-read", seenThenGone: true });
    report.reasons.push(`<b>bold</b> & "quoted"`);
    const page = renderHtml(report);
    expect(page).toContain("<td>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</td><td>30 s</td><td>after-last-read</td><td>yes</td>");
    expect(page).toContain("<li>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</li>");
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<b>");
    // Exactly two script elements end: the JSON and the chart script.
    expect(page.match(/<\/script/gi)).toHaveLength(2);
    expect(JSON.parse(embeddedJson(page))).toEqual(report);
  });

  it("refers to nothing outside the page", () => {
    const page = renderHtml(sampleReport());
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/<link\b|\ssrc=|@import|url\(/i);
    expect(page.match(/<script/g)).toHaveLength(2);
  });

  it("lists the SLO gates with what was observed, the schedule kept, k6's own verdict beside, the lost keys' Jepsen split and a fault left behind", () => {
    const report = sampleReport();
    report.load!.engineThresholds = [{ name: "http_req_failed", condition: "rate<=0.05", passed: true, observed: 0.0305, detail: "k6 observed rate = 0.0305" }];
    const page = renderHtml(report);
    expect(page).toContain("<tr><td>failed requests</td><td>at most 5 % failed</td><td>170 of 5,570 failed (3.1 %)</td><td><span class=\"badge ok\">passed</span></td></tr>");
    expect(page).toContain("<tr><td>1</td><td>0–60 s</td><td>hold</td><td>90 req/s</td><td>5,400</td><td>5,570</td><td>+3.1 %</td></tr>");
    expect(page).toContain("<h3>k6's own thresholds (shown beside; the gates above decide)</h3>");
    expect(page).toContain("<tr><td>http_req_failed</td><td>rate&lt;=0.05</td><td>k6 observed rate = 0.0305</td><td><span class=\"badge ok\">passed</span></td></tr>");
    expect(page).toContain("<tr><td>lost (acknowledged, never processed)</td><td>1</td><td>acknowledged before the first read 0, between reads 1, after the last read 0; seen then gone 0</td></tr>");
    expect(page).toContain("<tr><td>unknown (timeout or 5xx)</td><td>2</td><td>appeared 1, did not appear 1</td></tr>");
    expect(page).toContain('<td><span class="badge bad">left behind</span> toxic latency_downstream still on proxy postgres</td>');
    expect(page).toContain("<p>Window 38–55 s; recovery: never recovered</p>");
  });

  it("shows the supply-chain scan: each image's packages, pending updates, checks and SBOM counts, and the findings", () => {
    const report = sampleReport();
    report.supplyChain = {
      images: [
        { image: "cp3/nats:1", role: "service", uses: ["nats"], findings: [], packages: 107, release: "bookworm", pending: [], sbom: { file: "/r/sbom/cp3_nats_1.cdx.json", components: 189, byType: { deb: 107, golang: 81, other: 1 } } },
        { image: "shop/api:1", role: "service", uses: ["service:api"], findings: [{ rule: "CIS-4.1", image: "shop/api:1", message: "runs as root (no USER); add USER <uid>:<gid> with a non-zero uid" }], packages: 0, release: "", pending: [], sbom: { error: "syft: exit 1" } },
      ],
      indexes: [{ suite: "bookworm-security", date: "Mon, 30 Nov 2026 00:22:33 UTC", stale: false }],
      findings: 1,
      pending: 0,
      pendingSecurity: 0,
      sbomComponents: { deb: 107, golang: 81, other: 1 },
    };
    const page = renderHtml(report);
    expect(page).toContain("<p>2 images; 1 image check finding(s); 0 pending security update(s), 0 pending updates in all. SBOMs (CycloneDX, in sbom/ beside this report): deb 107, golang 81, other 1 components.</p>");
    expect(page).toContain('<tr><td>cp3/nats:1</td><td>nats</td><td>107 (bookworm)</td><td>0</td><td>0</td><td><span class="badge ok">passed</span></td><td>deb 107, golang 81, other 1</td></tr>');
    expect(page).toContain("<tr><td>shop/api:1</td><td>service:api</td><td>not Debian</td><td>0</td><td>0</td><td>CIS-4.1</td><td>none: syft: exit 1</td></tr>");
    expect(page).toContain("<tr><td>shop/api:1</td><td>CIS-4.1</td><td>a non-root USER</td><td>runs as root (no USER); add USER &lt;uid&gt;:&lt;gid&gt; with a non-zero uid</td></tr>");
    expect(page).toContain("<p>Compared with bookworm-security (Mon, 30 Nov 2026 00:22:33 UTC).</p>");
    expect(renderHtml({ ...report, supplyChain: { error: "gpgv: BAD signature" } })).toContain('<p class="missing">The images could not be scanned: gpgv: BAD signature</p>');
  });

  it("shows TLS inside the testbed: NATS requiring it, PostgreSQL's sessions by client, and TLS off as such", () => {
    const report = sampleReport();
    const page = renderHtml(report);
    expect(page).toContain('<p><span class="badge bad">plaintext found</span> transport: TLS on; NATS requires TLS on 1 of 1 server(s); PostgreSQL: 11 of 12 TCP session(s) encrypted (6 samples during the load)</p>');
    expect(page).toContain("<tr><td>gateway</td><td>4</td><td>4</td><td>0</td></tr>\n<tr><td>worker-0</td><td>8</td><td>7</td><td>1</td></tr>");
    const off = renderHtml({ ...report, transport: { ...report.transport!, tls: false } });
    expect(off).toContain('<span class="badge ok">TLS off</span> transport: TLS off (cp3:tls.enabled false): NATS and PostgreSQL connections are plaintext</p>');
    expect(off).not.toContain('id="transport-postgres"');
    expect(renderJunit({ ...report, transport: undefined })).toContain('<skipped message="not watched: the run stopped before its load"/>');
  });

  it("shows trace coverage with its counts, the missing spans, the gaps a stopped process cut, and a traces suite", () => {
    const traces: TraceCoverage = {
      queryUrl: "http://127.0.0.1:16686",
      expected: [{ service: "gateway", name: "POST /v1/records" }, { service: "worker", name: "records.ack" }],
      sampleEvery: 1, sampled: 3000, beyondStore: 0, checked: 3000, complete: 2999, coverage: 2999 / 3000,
      missingBySpan: { "worker: records.ack": 1 }, cutByStops: 1,
      incomplete: [{ key: "run-7", traceId: "33fa04c64347fabf0000000000000007", missing: ["worker: records.ack"], cutBy: "worker-kill stopped cp3-ci-worker-0" }],
      failedSpans: 0,
    };
    const page = renderHtml({ ...sampleReport(), traces });
    expect(page).toContain('<p id="trace-coverage"><span class="badge ok">99.97 %</span> Trace coverage 99.97 %: 2999 of 3000 traces complete (3000 sampled, processed records; one in 1 sampled); worker: records.ack missing in 1 (1 of them cut by a process a fault stopped before it exported them); Jaeger http://127.0.0.1:16686. Below 99 % the verdict fails; the goal is 100 %.</p>');
    expect(page).toContain("<tr><td>worker: records.ack</td><td>1</td></tr>");
    expect(page).toContain('<tr><td>run-7</td><td><a href="http://127.0.0.1:16686/trace/33fa04c64347fabf0000000000000007">33fa04c64347fabf0000000000000007</a></td><td>worker: records.ack</td><td>worker-kill stopped cp3-ci-worker-0</td></tr>');
    expect(page).toContain("1 of the 1 incomplete traces lack only the spans of a process a fault stopped");
    expect(renderJunit({ ...sampleReport(), traces })).toMatch(/<testcase classname="cp3\.traces" name="every processed record&#39;s trace holds its 2 expected spans \(at least 99 % of them\)"\/>/);
    const low = renderJunit({ ...sampleReport(), traces: { ...traces, complete: 2900, coverage: 2900 / 3000, missingBySpan: { "worker: records.ack": 100 } } });
    expect(low).toContain('message="trace coverage 96.67 % (2900 of 3000 traces complete) is below 99 %: worker: records.ack missing in 100"');
    expect(renderHtml(sampleReport())).toContain('<section id="traces"><h2>Traces (Jaeger)</h2>\n<p class="missing">No Jaeger in this stack');
  });

  it("shows the cost per 1,000 records by part and by component, and why it is missing when it is", () => {
    const cost = costOf({ windowSeconds: 100, records: 2000, cpuSeconds: { worker: 8, nats: 2, prometheus: 1 }, meanMemoryBytes: { worker: 100 * 1048576, nats: 50 * 1048576, prometheus: 25 * 1048576 } });
    const page = renderHtml({ ...sampleReport(), cost });
    expect(page).toContain("<tr><td>the system under test (its services)</td><td>8</td><td>4</td><td>100</td><td>5,000</td></tr>");
    expect(page).toContain("<tr><td>nats</td><td>testbed</td><td>2</td><td>50</td></tr>");
    expect(renderHtml(sampleReport())).toContain('<section id="cost"><h2>Cost per record</h2>\n<p class="missing">Not measured');
    expect(renderHtml({ ...sampleReport(), cost: { ...cost, error: "no series" } })).toContain("cost per record: not measured: no series");
  });

  it("shows the verdict, a note for each step that never ran, and frames for the three charts", () => {
    const report: RunReport = { ...sampleReport(), verdict: "interrupted", reasons: ["interrupted by SIGINT"], load: undefined, integrity: undefined };
    const page = renderHtml(report);
    expect(page).toContain('<section class="verdict verdict-interrupted" id="verdict">\n<h2>Verdict: <span id="verdict-value">interrupted</span></h2>\n<ul id="reasons"><li>interrupted by SIGINT</li></ul>');
    expect(page).toContain('<p class="missing">The load step did not run.</p>');
    expect(page).toContain('<p class="missing">The integrity check did not run.</p>');
    expect(page).toContain('<p class="missing">The load step did not run, so no SLO gate was checked.</p>');
    expect([...page.matchAll(/<figure class="chart" id="(chart-[a-z]+)" data-field="(\w+)" data-scale="(\d+)"/g)].map((m) => m.slice(1))).toEqual([
      ["chart-throughput", "acknowledged", "1"],
      ["chart-latency", "p95Ms", "1"],
      ["chart-errors", "errorRate", "100"],
    ]);
  });
});

describe("writeReport", () => {
  it("writes report.json, junit.xml and report.html into a directory it creates", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-report-"));
    try {
      const dir = path.join(root, "nested", "report");
      const report = sampleReport();
      const files = await writeReport(dir, report);
      expect(files).toEqual({ json: path.join(dir, "report.json"), junit: path.join(dir, "junit.xml"), html: path.join(dir, "report.html") });
      expect(JSON.parse(fs.readFileSync(files.json, "utf8"))).toEqual(report);
      expect(fs.readFileSync(files.json, "utf8")).toBe(`${JSON.stringify(report, null, 2)}\n`);
      expect(fs.readFileSync(files.junit, "utf8")).toBe(renderJunit(report));
      expect(fs.readFileSync(files.html, "utf8")).toBe(renderHtml(report));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
