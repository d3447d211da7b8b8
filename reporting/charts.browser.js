/* global document */
// Runs inside report.html (inlined by charts.ts): draws each `figure.chart` as SVG from the report JSON
// embedded in the page, shading every applied fault window. Plain browser JavaScript, no dependencies, so the
// report draws offline. Every string from the report goes in through textContent, never as markup.
// Each figure is marked when done (data-drawn, data-points, data-fault-windows) so a test can tell a drawn
// chart from an empty frame; an exception is recorded on <body data-charts-error> and shown.
(() => {
  "use strict";
  const W = 760;
  const H = 250;
  const M = { left: 60, right: 16, top: 34, bottom: 42 };
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;

  // 1, 2 or 5 times a power of ten: the tick step nearest above `raw`.
  function niceStep(raw) {
    if (!(raw > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function ticks(max, wanted) {
    const step = niceStep(max / wanted);
    const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
    const out = [];
    for (let v = 0; v <= top + step / 2; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  }

  function label(v) {
    return Math.abs(v) >= 1000 ? v.toLocaleString("en-US") : String(Number(v.toPrecision(6)));
  }

  function faultWindows(report) {
    const windows = [];
    for (const e of report.experiments || []) {
      for (const f of e.faults || []) {
        // A skipped fault was never in place, so it gets no window.
        if (f.status === "skipped" || !(f.endedAt > f.startedAt)) continue;
        windows.push({ experiment: e.name, fault: f });
      }
    }
    return windows;
  }

  // Element makers for one figure's SVG; every string goes in as an attribute value or textContent.
  function svgOf(figure) {
    const svg = figure.querySelector("svg");
    const ns = svg.namespaceURI; // taken from the parsed page, so no namespace URL is written in the report
    const el = (name, attrs, parent) => {
      const node = document.createElementNS(ns, name);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      (parent || svg).appendChild(node);
      return node;
    };
    const text = (content, attrs, parent) => {
      const node = el("text", attrs, parent);
      node.textContent = content;
      return node;
    };
    return { svg, el, text };
  }

  function noData(figure, svg, message) {
    svg.style.display = "none";
    const note = document.createElement("p");
    note.className = "no-data";
    note.textContent = message;
    figure.appendChild(note);
    figure.dataset.drawn = "no-data";
  }

  // The shaded fault windows, the grid, the axes and their labels (under whatever is drawn next); returns the scales.
  function drawFrame(figure, g, o) {
    const { el, text } = g;
    const xTicks = ticks(Math.max(1, o.xMax, ...o.windows.map((w) => w.fault.endedAt)), 10);
    const yTicks = ticks(o.yMax, 5);
    const xTop = xTicks[xTicks.length - 1];
    const yTop = yTicks[yTicks.length - 1];
    const x = (t) => M.left + (Math.min(Math.max(t, 0), xTop) / xTop) * plotW;
    const y = (v) => M.top + plotH - (v / yTop) * plotH;

    const numbered = o.windows.length > 3;
    o.windows.forEach((w, i) => {
      const x0 = x(w.fault.startedAt);
      const x1 = x(w.fault.endedAt);
      const rect = el("rect", { class: `fault-window fault-${w.fault.status}`, x: x0, y: M.top, width: Math.max(1, x1 - x0), height: plotH });
      rect.dataset.experiment = w.experiment;
      const tip = el("title", {}, rect);
      tip.textContent = `${w.experiment}: ${w.fault.kind} on ${(w.fault.targets || []).join(", ")}, ${w.fault.startedAt}-${w.fault.endedAt} s (${w.fault.status})`;
      if (numbered) {
        // Many windows: a number above each, named in the legend under the chart.
        text(String(i + 1), { class: "fault-label", x: (x0 + x1) / 2, y: M.top - 6, "text-anchor": "middle" });
        return;
      }
      // Labels alternate between two rows above the plot so neighbouring windows stay readable.
      const right = x0 > M.left + plotW * 0.7;
      text(`${w.experiment}: ${w.fault.kind}`, { class: "fault-label", x: right ? x1 : x0, y: M.top - 6 - (i % 2) * 13, "text-anchor": right ? "end" : "start" });
    });
    if (numbered) {
      const legend = document.createElement("ol");
      legend.className = "fault-legend";
      for (const w of o.windows) {
        const item = document.createElement("li");
        item.textContent = `${w.experiment}: ${w.fault.kind} (${w.fault.startedAt}-${w.fault.endedAt} s)`;
        legend.appendChild(item);
      }
      figure.appendChild(legend);
    }

    for (const v of yTicks) {
      el("line", { class: "grid", x1: M.left, x2: M.left + plotW, y1: y(v), y2: y(v) });
      text(label(v), { class: "tick", x: M.left - 6, y: y(v) + 4, "text-anchor": "end" });
    }
    for (const t of xTicks) {
      el("line", { class: "axis", x1: x(t), x2: x(t), y1: M.top + plotH, y2: M.top + plotH + 5 });
      text(label(t), { class: "tick", x: x(t), y: M.top + plotH + 18, "text-anchor": "middle" });
    }
    el("line", { class: "axis", x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH });
    el("line", { class: "axis", x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH });
    text("seconds since the load started", { class: "axis-label", x: M.left + plotW / 2, y: H - 6, "text-anchor": "middle" });
    text(o.yLabel, { class: "axis-label", transform: `translate(14 ${M.top + plotH / 2}) rotate(-90)`, "text-anchor": "middle" });
    return { x, y };
  }

  function drawChart(figure, report, windows) {
    const g = svgOf(figure);
    const timeline = (report.load && report.load.timeline) || [];
    if (timeline.length === 0) {
      noData(figure, g.svg, report.load ? "no load data: the load recorded no requests" : "no load data: the load step did not run");
      figure.dataset.points = "0";
      return;
    }
    const field = figure.dataset.field;
    const scale = Number(figure.dataset.scale || "1");
    const values = timeline.map((p) => {
      const v = Number(p[field]) * scale;
      return Number.isFinite(v) ? v : 0;
    });
    const times = timeline.map((p) => Number(p.t) || 0);
    const { x, y } = drawFrame(figure, g, { xMax: Math.max(...times), yMax: Math.max(...values), yLabel: figure.dataset.unit || "", windows });
    const points = values.map((v, i) => `${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`);
    g.el("polyline", { class: "series", points: points.join(" ") });
    if (points.length === 1) g.el("circle", { class: "series-dot", cx: x(times[0]), cy: y(values[0]), r: 3 });
    figure.dataset.drawn = "true";
    figure.dataset.points = String(points.length);
    figure.dataset.faultWindows = String(windows.length);
  }

  // Memory: one line per container (RSS in MiB over time) in its own colour, a legend, and the end of the warm-up.
  const PALETTE = ["#1f5fbf", "#b35c00", "#1e7e34", "#8e24aa", "#00838f", "#c2185b", "#5d4037", "#546e7a"];
  const MiB = 1024 * 1024;

  // Several lines in their own colours with a legend: series [{ name, points: [[t, value]] }]; o.kind names the
  // classes ("memory" or "panel") and o.dataKey the data attribute naming each line. Returns the scales.
  function drawSeries(figure, g, windows, series, o) {
    const all = series.flatMap((s) => s.points);
    const xMax = Math.max(o.xMin || 0, ...all.map((p) => Number(p[0]) || 0));
    const yMax = Math.max(0, ...all.map((p) => Number(p[1]) || 0));
    const scales = drawFrame(figure, g, { xMax, yMax, yLabel: o.yLabel, windows });
    const { x, y } = scales;
    const legend = document.createElement("ul");
    legend.className = `${o.kind}-legend`;
    series.forEach((s, i) => {
      const colour = PALETTE[i % PALETTE.length];
      const at = (p) => [x(Number(p[0]) || 0), y(Number(p[1]) || 0)];
      const points = s.points.map((p) => at(p).map((n) => n.toFixed(1)).join(","));
      // The class rule sets one stroke for every series; the inline style wins over it.
      const line = g.el("polyline", { class: `series ${o.kind}-series`, points: points.join(" "), stroke: colour });
      line.style.stroke = colour;
      line.dataset[o.dataKey] = String(s.name);
      if (points.length === 1) {
        const [cx, cy] = at(s.points[0]);
        g.el("circle", { class: "series-dot", cx, cy, r: 3, fill: colour }).style.fill = colour;
      }
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(String(s.name)));
      item.dataset.colour = colour;
      legend.appendChild(item);
    });
    figure.appendChild(legend);
    figure.dataset.drawn = "true";
    figure.dataset.series = String(series.length);
    figure.dataset.faultWindows = String(windows.length);
    return scales;
  }

  // Memory: one line per container (RSS in MiB over time), and the end of the warm-up.
  function drawMemoryChart(figure, report, windows) {
    const g = svgOf(figure);
    const memory = report.memory;
    const containers = ((memory && memory.series) || []).filter((s) => (s.samples || []).length > 0);
    figure.dataset.series = String(containers.length);
    if (containers.length === 0) {
      noData(figure, g.svg, memory ? "no memory data: no container's memory could be read" : "no memory data: memory is sampled only in soak runs and campaigns");
      return;
    }
    const warmup = Number(memory.warmupSeconds) || 0;
    const series = containers.map((s) => ({ name: s.container, points: s.samples.map((p) => [Number(p.t) || 0, (Number(p.rssBytes) || 0) / MiB]) }));
    const { x } = drawSeries(figure, g, windows, series, { xMin: warmup, yLabel: "RSS (MiB)", kind: "memory", dataKey: "container" });
    if (warmup > 0) {
      g.el("line", { class: "warmup", x1: x(warmup), x2: x(warmup), y1: M.top, y2: M.top + plotH, stroke: "#5f6b76", "stroke-dasharray": "5 4" });
      g.text("warm-up", { class: "tick", x: x(warmup) + 4, y: M.top + 12, "text-anchor": "start" });
    }
  }

  // A Prometheus panel (report.observability.panels[data-panel]): its series over the run.
  function drawPanelChart(figure, report, windows) {
    const g = svgOf(figure);
    const panels = (report.observability && report.observability.panels) || [];
    const panel = panels[Number(figure.dataset.panel)];
    const series = ((panel && panel.series) || []).filter((s) => (s.points || []).length > 0);
    if (series.length === 0) {
      figure.dataset.series = "0";
      noData(figure, g.svg, `no data from Prometheus${panel && panel.problems && panel.problems.length > 0 ? `: ${panel.problems.join("; ")}` : ""}`);
      return;
    }
    drawSeries(figure, g, windows, series, { yLabel: (panel && panel.unit) || "", kind: "panel", dataKey: "series" });
  }

  try {
    const report = JSON.parse(document.getElementById("cp3-report").textContent);
    const windows = faultWindows(report);
    for (const figure of document.querySelectorAll("figure.chart")) drawChart(figure, report, windows);
    for (const figure of document.querySelectorAll("figure.memory-chart")) drawMemoryChart(figure, report, windows);
    for (const figure of document.querySelectorAll("figure.panel-chart")) drawPanelChart(figure, report, windows);
  } catch (e) {
    document.body.dataset.chartsError = String((e && e.message) || e);
    const note = document.createElement("p");
    note.className = "charts-error";
    note.textContent = `The charts could not be drawn: ${document.body.dataset.chartsError}`;
    const first = document.querySelector("figure.chart");
    if (first) first.parentNode.insertBefore(note, first);
  }
})();
