// The package another Pulumi program imports (`import { Testbed } from "cp3-testbed"`; package.json "main",
// "types", "exports"): index.ts and everything it reaches, compiled by tsconfig.build.json into dist/ as CommonJS
// with declarations and source maps. A consumer's ts-node compiles nothing under node_modules, and a consumer's
// compiler settings are not ours, so the package ships JavaScript. Built when a source is newer than the last
// build: into a folder beside dist/ (the same depth, so the source maps hold), then swapped in, so a program
// importing the package while another set-up rebuilds it never reads half a build.
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "../lib/exec";
import { projectRoot } from "../lib/paths";

export const distDir = () => path.join(projectRoot, "dist");
const STAMP = ".built";

/** The build's inputs: the source of every file in dist/, the entry, the compiler settings and the compiler. */
function inputs(dist: string): string[] {
  const sources = ["index.ts", "tsconfig.json", "tsconfig.build.json", "node_modules/typescript/package.json"].map((f) => path.join(projectRoot, f));
  for (const e of fs.readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(dist, path.join(e.parentPath, e.name));
    if (rel.endsWith(".d.ts") || rel.endsWith(".map")) continue;
    if (rel.endsWith(".js")) sources.push(path.join(projectRoot, rel.replace(/\.js$/, ".ts")));
    else if (rel.endsWith(".json")) sources.push(path.join(projectRoot, rel));
  }
  return sources;
}

/** Whether dist/ holds a build of the current sources. */
export function packageDistFresh(): boolean {
  const dist = distDir();
  const stamp = path.join(dist, STAMP);
  if (!fs.existsSync(stamp)) return false;
  const startedAt = Number(fs.readFileSync(stamp, "utf8"));
  return inputs(dist).every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs <= startedAt);
}

/** Builds dist/ unless it is fresh; returns whether it built. */
export async function ensurePackageDist(): Promise<boolean> {
  if (packageDistFresh()) return false;
  const startedAt = Date.now();
  const building = path.join(projectRoot, `.dist-${process.pid}`);
  fs.rmSync(building, { recursive: true, force: true });
  try {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [projectRoot] });
    await run(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", building], { step: "package build", log: "package-build", cwd: projectRoot });
    fs.writeFileSync(path.join(building, STAMP), String(startedAt));
    const old = `${building}-old`;
    if (fs.existsSync(distDir())) fs.renameSync(distDir(), old);
    try {
      fs.renameSync(building, distDir());
    } catch (err) {
      // Another set-up swapped its build of the same sources in first: keep that one.
      if (!["ENOTEMPTY", "EEXIST"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  return true;
}
