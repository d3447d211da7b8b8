// The workload's production dependencies (workload/node_modules), which the base image carries. Installed
// with `npm ci --omit=dev` whenever they are missing or older than workload/package-lock.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "../lib/exec";
import { projectRoot } from "../lib/paths";

const dir = path.join(projectRoot, "workload");

export function workloadDepsFresh(): boolean {
  const marker = path.join(dir, "node_modules", ".package-lock.json");
  return fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(path.join(dir, "package-lock.json")).mtimeMs;
}

export async function ensureWorkloadDeps(): Promise<boolean> {
  if (workloadDepsFresh()) return false;
  await run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], { step: "workload dependencies", log: "npm-ci-workload", cwd: dir });
  return true;
}
