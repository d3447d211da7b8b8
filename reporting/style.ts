// The report's stylesheet, inlined in report.html: system fonts only, readable printed or on screen.
export const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232a; margin: 0 auto; padding: 1.5rem; max-width: 1100px; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.9rem; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td { overflow-wrap: break-word; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; font-family: ui-monospace, monospace; }
.verdict { border-radius: 6px; padding: 0.6rem 1.2rem; border: 2px solid; }
.verdict h2 { border: none; margin: 0.2rem 0; font-size: 1.6rem; }
.verdict-ready { background: #e6f4ea; border-color: #1e7e34; }
.verdict-not-ready { background: #fdecea; border-color: #b3261e; }
.verdict-error { background: #fff4e5; border-color: #b35c00; }
.verdict-interrupted { background: #eef0f2; border-color: #5f6b76; }
#verdict-value { text-transform: uppercase; }
.badge { display: inline-block; padding: 0 0.4rem; border-radius: 4px; font-size: 0.85rem; font-weight: 600; }
.badge.ok { background: #e6f4ea; color: #1e7e34; }
.badge.bad { background: #fdecea; color: #b3261e; }
.experiment { border-left: 4px solid #d0d7de; padding-left: 0.8rem; margin-bottom: 1.2rem; }
.experiment.status-passed { border-color: #1e7e34; }
.experiment.status-failed, .experiment.status-error { border-color: #b3261e; }
.experiment .status { font-weight: normal; font-size: 0.9rem; color: #5f6b76; }
.reason, .missing, .charts-error { color: #b3261e; font-weight: 600; }
.note { color: #5f6b76; }
figure.chart { margin: 1rem 0; }
figcaption { font-weight: 600; margin-bottom: 0.3rem; }
svg.plot { max-width: 100%; height: auto; font-size: 11px; }
.no-data { color: #5f6b76; font-style: italic; border: 1px dashed #d0d7de; padding: 2rem; text-align: center; max-width: 760px; }
.grid { stroke: #e6e9ec; }
.axis { stroke: #5f6b76; }
.tick { fill: #5f6b76; }
.axis-label { fill: #1d232a; font-size: 12px; }
.series { fill: none; stroke: #1f5fbf; stroke-width: 1.6; }
.series-dot { fill: #1f5fbf; }
.fault-window { fill: rgba(179, 38, 30, 0.13); stroke: rgba(179, 38, 30, 0.5); stroke-dasharray: 3 2; }
.fault-window.fault-failed { fill: rgba(179, 92, 0, 0.13); stroke: rgba(179, 92, 0, 0.5); }
.fault-label { fill: #b3261e; font-size: 11px; }
.fault-legend { font-size: 12px; color: #b3261e; margin: 2px 0 0 0; padding-left: 24px; columns: 2; }
.memory-legend, .panel-legend { font-size: 12px; list-style: none; padding-left: 0; columns: 2; }
.memory-legend .swatch, .panel-legend .swatch { display: inline-block; width: 12px; height: 3px; margin-right: 6px; vertical-align: middle; }
footer { margin-top: 2rem; color: #5f6b76; font-size: 0.85rem; }
`;
