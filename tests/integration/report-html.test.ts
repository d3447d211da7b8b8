// report.html as a reader sees it: Debian's Chromium, headless, opens the written file offline, runs its chart
// script, and the test reads back the DOM it ended with (and a screenshot). junit.xml goes through the
// browser's XML parser the same way.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonForScript } from "../../reporting/escape";
import type { RunReport } from "../../reporting/model";
import { writeReport } from "../../reporting/write";
import { ensureChromium } from "../../toolchain/chromium";
import { campaignFigures } from "../../chaos/campaign-figures";
import { judgeRssGrowth } from "../../load/memory";
import { HOSTILE_HTML_KEY, HOSTILE_XML_KEY, LOST_KEY, sampleReport } from "../unit/report-fixture";

const execFileAsync = promisify(execFile);

let chromium = "";
let tmpRoot = "";

async function browse(args: string[]): Promise<string> {
  const profile = fs.mkdtempSync(path.join(tmpRoot, "profile-"));
  // --no-sandbox: Chromium refuses to start as root otherwise. The timeout bounds a hung browser.
  const { stdout } = await execFileAsync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${profile}`, ...args], {
    timeout: 60_000,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

const dumpDom = (file: string) => browse(["--dump-dom", pathToFileURL(file).href]);

async function render(report: RunReport, name: string): Promise<{ dom: string; html: string }> {
  const { html } = await writeReport(path.join(tmpRoot, name), report);
  return { dom: await dumpDom(html), html };
}

/** The opening tag of a chart's figure and its markup up to </figure>. */
function figure(dom: string, id: string): { tag: string; body: string } {
  const start = dom.indexOf(`<figure class="chart" id="chart-${id}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = dom.slice(start, dom.indexOf("</figure>", start));
  return { tag: body.slice(0, body.indexOf(">") + 1), body };
}

const yTicks = (body: string) => [...body.matchAll(/<text class="tick"[^>]*text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
const bodyTag = (dom: string) => /<body[^>]*>/.exec(dom)![0];

beforeAll(async () => {
  chromium = await ensureChromium();
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-report-html-"));
}, 600_000);

afterAll(() => {
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
});

describe("report.html in Chromium", () => {
  it("draws each container's memory with the fault windows and the warm-up, and shows the campaign's figures", async () => {
    const report = sampleReport();
    const samples = (mib: (t: number) => number, pid = 7) => Array.from({ length: 13 }, (_, i) => ({ t: i * 5, rssBytes: mib(i * 5) * 1048576, pid }));
    const series = [
      { container: "cp3-ci-gateway", service: "gateway", samples: samples((t) => 50 + t) },
      { container: "cp3-ci-worker-0", service: "worker", samples: samples(() => 40) },
    ];
    report.memory = { series, growth: judgeRssGrowth(series, { warmupSeconds: 15, maxGrowth: 0.1, windowSeconds: 15 }), maxGrowth: 0.1, warmupSeconds: 15 };
    report.campaign = campaignFigures("mini", report.experiments, { acknowledged: 5900, loadSeconds: 60, lostAt: [24.2], duplicatedAt: [], clientErrorsAt: [] });
    const { dom } = await render(report, "memory");

    const start = dom.indexOf('<figure class="memory-chart" id="chart-memory"');
    const body = dom.slice(start, dom.indexOf("</figure>", start));
    expect(body.slice(0, body.indexOf(">") + 1)).toMatch(/ data-series="2" data-drawn="true" data-fault-windows="2">$/);
    expect([...body.matchAll(/<polyline class="series memory-series" points="([^"]*)" stroke="([^"]*)"[^>]*data-container="([^"]*)"/g)].map((m) => [m[1]!.split(" ").length, m[2], m[3]])).toEqual([
      [13, "#1f5fbf", "cp3-ci-gateway"],
      [13, "#b35c00", "cp3-ci-worker-0"],
    ]);
    // The warm-up line at 15 s of a 0-60 s axis (684 px from x=60), and the two fault windows as on the load charts.
    expect(body).toContain('<line class="warmup" x1="231" x2="231"');
    expect([...body.matchAll(/<rect class="fault-window fault-applied" x="([\d.]+)"/g)].map((m) => m[1])).toEqual(["288", "516"]);
    expect(body).toContain("<li data-colour=\"#b35c00\"><span class=\"swatch\"");
    // The gateway grew from 67.5 to 107.5 MiB after its warm-up: the table says so and fails it.
    expect(dom).toMatch(/<td>gateway<\/td><td>cp3-ci-gateway<\/td><td>\d+\.\d MiB<\/td><td>\d+\.\d MiB<\/td><td>\+\d+\.\d %<\/td><td>yes<\/td><td><span class="badge bad">failed<\/span><\/td>/);
    expect(dom).toContain('<p id="campaign-summary">2 faults of 2 kinds, 5900 acknowledged, 1 lost, 0 duplicated</p>');
  });

  it("draws each Prometheus panel with its series and the fault windows, and lists the alerts and each fault's detection", async () => {
    const report = sampleReport();
    const line = (f: (t: number) => number): [number, number][] => Array.from({ length: 13 }, (_, i) => [i * 5, f(i * 5)]);
    report.observability = {
      prometheusUrl: "http://127.0.0.1:39090", rateWindow: "20s", stepSeconds: 5, targets: { total: 5, up: 5, down: [] },
      panels: [
        { id: "gateway-duration", group: "gateway", title: "gateway: request duration", unit: "ms", queries: [], series: [{ name: "p50", points: line(() => 2) }, { name: "p95", points: line((t) => 5 + t / 10) }], problems: [] },
        { id: "postgres-up", group: "postgres", title: "PostgreSQL: server answering the exporter", unit: "up", queries: [], series: [], problems: ["up: no data"] },
      ],
      alerts: {
        defined: ["TargetDown", "ProcessRestarted"],
        fired: [{ alert: "ProcessRestarted", labels: { service: "worker", instance: "worker-0:8081" }, intervals: [[25, 55]] }],
        detections: [
          { experiment: "worker-kill", fault: "container-kill", targets: ["cp3-ci-worker-0"], startedAt: 20, endedAt: 30, expected: true, status: "detected", alerts: ["ProcessRestarted{service=worker,instance=worker-0:8081}"], detectionSeconds: 5, clearedAt: 55 },
          { experiment: "db-latency", fault: "latency", targets: ["postgres"], startedAt: 40, endedAt: 50, expected: false, status: "not expected", alerts: [], reason: "a degradation" },
        ],
        notifications: [{ receivedAt: 26.4, status: "firing", alerts: [{ alert: "FlowFatal", status: "firing", labels: { service: "worker", instance: "worker-0" }, summary: "worker-0 stops on a fatal error: bad config" }] }],
      },
    };
    const { dom } = await render(report, "observability");
    const start = dom.indexOf('<figure class="panel-chart" id="panel-gateway-duration"');
    const body = dom.slice(start, dom.indexOf("</figure>", start));
    expect(body.slice(0, body.indexOf(">") + 1)).toMatch(/ data-panel="0" data-drawn="true" data-series="2" data-fault-windows="2">$/);
    expect([...body.matchAll(/<polyline class="series panel-series" points="([^"]*)" stroke="([^"]*)"[^>]*data-series="([^"]*)"/g)].map((m) => [m[1]!.split(" ").length, m[2], m[3]])).toEqual([
      [13, "#1f5fbf", "p50"],
      [13, "#b35c00", "p95"],
    ]);
    expect([...body.matchAll(/<rect class="fault-window fault-applied" x="([\d.]+)"/g)].map((m) => m[1])).toEqual(["288", "516"]);
    const empty = dom.slice(dom.indexOf('<figure class="panel-chart" id="panel-postgres-up"'));
    expect(empty.slice(0, empty.indexOf("</figure>"))).toContain('<p class="no-data">no data from Prometheus: up: no data</p>');
    expect(dom).toContain("<td>ProcessRestarted{service=worker,instance=worker-0:8081}</td><td>25–55 s</td>");
    expect(dom).toMatch(/<td>worker-kill<\/td><td>container-kill<\/td><td>cp3-ci-worker-0<\/td><td>20–30 s<\/td><td>5 s<\/td><td>55 s<\/td>/);
    expect(dom).toContain('<span class="badge">not expected</span> a degradation');
    expect(dom).toContain("<td>26.4 s</td><td>firing</td><td>FlowFatal{service=worker,instance=worker-0} firing: worker-0 stops on a fatal error: bad config</td>");
  });

  it("draws the three charts with their fault windows, and shows the verdict and the lost key", async () => {
    const report = sampleReport();
    report.integrity!.unexpected.push(HOSTILE_HTML_KEY);
    const { dom, html } = await render(report, "full");

    expect(bodyTag(dom)).toBe("<body>");
    for (const id of ["throughput", "latency", "errors"]) {
      const { tag, body } = figure(dom, id);
      expect(tag).toMatch(/ data-drawn="true" data-points="60" data-fault-windows="2">$/);
      expect(/<polyline class="series" points="([^"]*)"/.exec(body)![1]!.split(" ")).toHaveLength(60);
      // Shaded windows at 20-30 s and 40-50 s on a 0-60 s axis 684 px wide starting at x=60; the skipped fault has none.
      expect([...body.matchAll(/<rect class="fault-window fault-applied" x="([\d.]+)" y="34" width="([\d.]+)"/g)].map((m) => [m[1], m[2]])).toEqual([["288", "114"], ["516", "114"]]);
      expect(body).toContain('<text class="fault-label" x="288" y="28" text-anchor="start">broker-partition: network-partition</text>');
    }
    expect(yTicks(figure(dom, "throughput").body)).toEqual(["0", "20", "40", "60", "80", "100"]);
    expect(yTicks(figure(dom, "latency").body)).toEqual(["0", "50", "100", "150", "200", "250"]);
    expect(yTicks(figure(dom, "errors").body)).toEqual(["0", "10", "20", "30"]);

    expect(dom).toContain('<span id="verdict-value">not-ready</span>');
    expect(dom).toContain(`<td>${LOST_KEY}</td><td>24.2 s</td><td>between-reads</td><td>no</td>`);
    expect(dom).toContain("<td>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</td>");
    expect(dom).not.toContain("<img");

    const shot = path.join(tmpRoot, "full.png");
    await browse(["--hide-scrollbars", "--window-size=1200,2400", `--screenshot=${shot}`, pathToFileURL(html).href]);
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 2400]);
    // A blank page of this size compresses to a few kB; tables, text and three charts take far more.
    expect(png.length).toBeGreaterThan(60_000);
  }, 120_000);

  it("shows a 'no load data' note instead of a chart when the timeline is empty or the load never ran", async () => {
    const empty = sampleReport();
    empty.load!.timeline = [];
    const noLoad: RunReport = { ...sampleReport(), verdict: "error", load: undefined };
    for (const [report, name, note] of [
      [empty, "empty", "no load data: the load recorded no requests"],
      [noLoad, "no-load", "no load data: the load step did not run"],
    ] as const) {
      const { dom } = await render(report, name);
      expect(bodyTag(dom)).toBe("<body>"); // no data-charts-error
      for (const id of ["throughput", "latency", "errors"]) {
        const { tag, body } = figure(dom, id);
        expect(tag).toMatch(/ data-drawn="no-data" data-points="0">$/);
        expect(body).toContain(`<p class="no-data">${note}</p>`);
        expect(body).not.toContain("<polyline");
      }
    }
  }, 120_000);

  it("records a chart script failure on the page instead of failing silently", async () => {
    const report = sampleReport();
    // A timeline that is not a list makes the script throw; the page must say so.
    (report.load as unknown as { timeline: unknown }).timeline = { t: 0 };
    const { dom } = await render(report, "broken");
    expect(bodyTag(dom)).toMatch(/^<body data-charts-error="[^"]+">$/);
    expect(dom).toContain('<p class="charts-error">The charts could not be drawn: ');
  }, 120_000);
});

describe("junit.xml in Chromium's XML parser", () => {
  it("is well-formed and gives back every hostile key exactly", async () => {
    const report = sampleReport();
    report.integrity!.duplicates = [{ key: HOSTILE_XML_KEY, effects: 2 }];
    report.integrity!.unexpected = [HOSTILE_HTML_KEY];
    const { junit } = await writeReport(path.join(tmpRoot, "junit"), report);
    // A page that parses the file's text with DOMParser and prints what it read as JSON.
    const harness = path.join(tmpRoot, "junit", "parse.html");
    fs.writeFileSync(harness, `<!DOCTYPE html><html><body><pre id="out"></pre>
<script type="application/json" id="xml">${jsonForScript(fs.readFileSync(junit, "utf8"))}</script>
<script>
const doc = new DOMParser().parseFromString(JSON.parse(document.getElementById("xml").textContent), "application/xml");
const error = doc.querySelector("parsererror");
const cases = [...doc.querySelectorAll("testcase")].map((c) => {
  const outcome = c.querySelector("failure, error, skipped");
  return [c.parentNode.getAttribute("name"), c.getAttribute("name"), outcome ? outcome.tagName : "passed", outcome ? outcome.getAttribute("message") : ""];
});
document.getElementById("out").textContent = JSON.stringify(error ? { error: error.textContent } : { cases });
</script></body></html>`);
    const dom = await dumpDom(harness);
    const printed = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom)![1]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    expect(JSON.parse(printed)).toEqual({
      cases: [
        ["run", "verdict", "failure", "verdict not-ready: experiment db-latency failed: the consumer lag stayed above 100; 1 acknowledged record lost"],
        ["thresholds", "latency p95: p95 < 99 ms (acknowledged requests)", "failure", "p95 180.25 ms over 5,400 acknowledged requests; needed p95 < 99 ms (acknowledged requests)"],
        ["thresholds", "failed requests: at most 5 % failed", "passed", ""],
        ["experiments", "broker-partition", "passed", ""],
        ["experiments", "db-latency", "failure", "The consumer lag stayed above 100 after the fault was removed."],
        ["invariants", "no acknowledged record lost", "failure", `acknowledged but never processed (1): ${LOST_KEY}`],
        ["invariants", "no record processed twice", "failure", `keys with more than one effect (1): ${HOSTILE_XML_KEY}`],
        ["invariants", "nothing processed that was never attempted", "failure", `processed but never attempted (1): ${HOSTILE_HTML_KEY}`],
        ["transport", "every NATS server requires TLS and every PostgreSQL TCP session is encrypted", "failure", "TLS: 1 of 12 PostgreSQL TCP session(s) unencrypted (worker-0 1)"],
      ],
    });
  }, 120_000);
});
