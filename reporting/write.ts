// Writes a run's three report files side by side: report.json (the record), junit.xml (for CI) and
// report.html (for people), all from the same RunReport.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { renderHtml } from "./html";
import { renderJunit } from "./junit";
import type { RunReport } from "./model";

export async function writeReport(dir: string, report: RunReport): Promise<{ json: string; junit: string; html: string }> {
  await fs.mkdir(dir, { recursive: true });
  const files = { json: path.join(dir, "report.json"), junit: path.join(dir, "junit.xml"), html: path.join(dir, "report.html") };
  // Rendered before anything is written, so a renderer's exception leaves no half set of files.
  const contents = { json: `${JSON.stringify(report, null, 2)}\n`, junit: renderJunit(report), html: renderHtml(report) };
  await Promise.all([fs.writeFile(files.json, contents.json), fs.writeFile(files.junit, contents.junit), fs.writeFile(files.html, contents.html)]);
  return files;
}
