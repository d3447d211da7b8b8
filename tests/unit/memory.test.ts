// Memory over time: the RSS growth verdict after the warm-up, its reasons, the sample cap and the report section.
import { describe, expect, it } from "vitest";
import { capSamples, judgeRssGrowth, rssGrowthReasons, type ContainerMemory, type MemorySample } from "../../load/memory";
import { memorySection } from "../../reporting/memory-section";

const MiB = 1024 * 1024;

/** One sample every 5 s from 0 to `until` s, RSS from `rss(t)` in MiB. */
function series(until: number, rss: (t: number) => number, pid: (t: number) => number = () => 100): ContainerMemory {
  const samples: MemorySample[] = [];
  for (let t = 0; t <= until; t += 5) samples.push({ t, rssBytes: Math.round(rss(t) * MiB), pid: pid(t) });
  return { container: "ci-x-gateway", service: "gateway", samples };
}

const opts = { warmupSeconds: 60, maxGrowth: 0.1 };

describe("judgeRssGrowth", () => {
  it("passes a flat series", () => {
    expect(judgeRssGrowth([series(600, () => 100)], opts)).toEqual([
      { service: "gateway", container: "ci-x-gateway", judged: true, afterWarmupBytes: 100 * MiB, endBytes: 100 * MiB, growth: 0, passed: true },
    ]);
  });

  it("fails 20 % growth after the warm-up, with the exact verdict line", () => {
    // 100 MiB through [60, 120) s, 120 MiB from 300 s on; the warm-up's own spike is ignored.
    const s = series(600, (t) => (t < 60 ? 300 : t < 300 ? 100 : 120));
    const [r] = judgeRssGrowth([s], opts);
    expect(r).toMatchObject({ judged: true, passed: false, afterWarmupBytes: 100 * MiB, endBytes: 120 * MiB });
    expect(r!.growth).toBeCloseTo(0.2, 12);
    expect(rssGrowthReasons([r!], 0.1)).toEqual([
      "memory: gateway (container ci-x-gateway) RSS grew 20.0 % after the warm-up (100.0 MiB -> 120.0 MiB), allowed 10 %",
    ]);
  });

  it("does not judge the testbed's monitoring, whose Prometheus keeps recent samples in memory by design", () => {
    const prometheus = { ...series(600, (t) => 20 + t), container: "ci-x-prometheus", service: "prometheus" };
    expect(judgeRssGrowth([prometheus], opts)).toEqual([{ service: "prometheus", container: "ci-x-prometheus", judged: false, passed: true, reason: "the testbed's monitoring, not the system under test (Prometheus keeps recent samples in memory by design)" }]);
  });

  it("uses the median of each window, so one outlier does not decide", () => {
    const s = series(600, (t) => (t === 65 ? 500 : t === 600 ? 1 : 100));
    expect(judgeRssGrowth([s], opts)[0]).toMatchObject({ judged: true, passed: true, growth: 0, afterWarmupBytes: 100 * MiB, endBytes: 100 * MiB });
  });

  it("passes growth up to the allowance and reports nothing", () => {
    const [r] = judgeRssGrowth([series(600, (t) => (t < 300 ? 100 : 110))], opts);
    expect(r).toMatchObject({ judged: true, passed: true });
    expect(r!.growth).toBeCloseTo(0.1, 12);
    expect(rssGrowthReasons([r!], 0.1)).toEqual([]);
  });

  it("does not judge a container that restarted after the warm-up", () => {
    const s = series(600, (t) => (t < 400 ? 100 : 200), (t) => (t < 400 ? 100 : 4242));
    const [r] = judgeRssGrowth([s], opts);
    expect(r).toEqual({
      service: "gateway",
      container: "ci-x-gateway",
      judged: false,
      passed: true,
      reason: "the container restarted after the warm-up (at about 400 s), so its memory started again from zero and growth cannot be measured",
    });
    expect(rssGrowthReasons([r!], 0.1)).toEqual([]);
  });

  it("judges a container that restarted during the warm-up", () => {
    const s = series(600, () => 100, (t) => (t < 30 ? 1 : 2));
    expect(judgeRssGrowth([s], opts)[0]).toMatchObject({ judged: true, passed: true, growth: 0 });
  });

  it("does not judge a run too short for two separate windows", () => {
    // 60 s warm-up + 60 s + 60 s needs 180 s; this run ends at 175 s.
    const [r] = judgeRssGrowth([series(175, (t) => t)], opts);
    expect(r).toEqual({
      service: "gateway",
      container: "ci-x-gateway",
      judged: false,
      passed: true,
      reason: "the run was too short to judge memory growth: it needs at least 180 s (the 60 s warm-up and two 60 s windows), the samples end at 175 s",
    });
    expect(judgeRssGrowth([series(180, () => 100)], opts)[0]).toMatchObject({ judged: true });
  });

  it("does not judge a window with fewer than 3 samples", () => {
    const s = series(600, () => 100);
    s.samples = s.samples.filter((x) => x.t < 60 || x.t >= 110);
    expect(judgeRssGrowth([s], opts)[0]).toMatchObject({
      judged: false,
      passed: true,
      reason: "only 2 memory sample(s) in the 60 s after the warm-up (60 s to 120 s); at least 3 are needed",
    });
  });

  it("honours windowSeconds", () => {
    const s = series(600, (t) => (t < 580 ? 100 : 150));
    expect(judgeRssGrowth([s], opts)[0]).toMatchObject({ judged: true, passed: true, growth: 0 });
    expect(judgeRssGrowth([s], { ...opts, windowSeconds: 20 })[0]).toMatchObject({ judged: true, passed: false, growth: 0.5 });
  });
});

describe("capSamples", () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("leaves a series at or under the cap alone", () => {
    expect(capSamples(ids(2000), 2000)).toHaveLength(2000);
  });

  it("drops every other sample, keeping the first and the last", () => {
    expect(capSamples(ids(7), 6)).toEqual([0, 2, 4, 6]);
    expect(capSamples(ids(8), 6)).toEqual([0, 2, 4, 6, 7]);
    const capped = capSamples(ids(2001), 2000);
    expect(capped).toHaveLength(1001);
    expect(capped[0]).toBe(0);
    expect(capped[capped.length - 1]).toBe(2000);
  });

  it("halves again until under the cap", () => {
    expect(capSamples(ids(17), 4)).toEqual([0, 8, 16]);
    expect(capSamples(ids(17_280), 2000).length).toBeLessThanOrEqual(2000);
  });
});

describe("memorySection", () => {
  it("says memory was not sampled when the run did not sample it", () => {
    const html = memorySection(undefined);
    expect(html).toContain('<section id="memory"><h2>Memory over time</h2>');
    expect(html).toContain("Memory was not sampled: only soak runs and campaigns sample it.");
    expect(html).not.toContain("memory-chart");
  });

  it("frames the chart and tabulates the results, escaping names", () => {
    const s = { ...series(600, (t) => (t < 300 ? 100 : 120)), service: "<gw>" };
    const growth = judgeRssGrowth([s], opts);
    const html = memorySection({ series: [s], growth, maxGrowth: 0.1, warmupSeconds: 60 });
    expect(html).toContain('<figure class="memory-chart" id="chart-memory">');
    expect(html).toContain('<svg class="plot" viewBox="0 0 760 250" width="760" height="250" role="img"');
    expect(html).not.toContain('class="chart"');
    expect(html).toContain("<tr><td>&lt;gw&gt;</td><td>ci-x-gateway</td><td>100.0 MiB</td><td>120.0 MiB</td><td>+20.0 %</td><td>yes</td><td><span class=\"badge bad\">failed</span></td></tr>");
    expect(html).not.toContain("<gw>");
  });
});
