// An image's SBOM, CycloneDX JSON, from syft (built from Go modules by `cp3 setup`): its Debian packages, the npm
// packages under the flows' node_modules, the Go modules of its Go binaries. syft runs with every network lookup
// off (no update check, no remote licence or Maven lookups) against the local engine's image. An image is
// content-addressed, so its SBOM is made once per image ID and kept in the cache.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { cacheDir } from "../lib/paths";

const exec = promisify(execFile);

export interface SbomSummary {
  /** Where the SBOM was written. */
  file: string;
  components: number;
  /** Components by package URL type (deb, npm, golang, generic); "other" for components without one. */
  byType: Record<string, number>;
}

/** Counts a CycloneDX document's components by their purl's type. */
export function summariseSbom(doc: { components?: { purl?: string }[] }, file: string): SbomSummary {
  const byType: Record<string, number> = {};
  for (const c of doc.components ?? []) {
    const type = /^pkg:([a-z0-9.+-]+)\//.exec(c.purl ?? "")?.[1] ?? "other";
    byType[type] = (byType[type] ?? 0) + 1;
  }
  return { file, components: doc.components?.length ?? 0, byType };
}

export const SYFT_OFFLINE_ENV = {
  SYFT_CHECK_FOR_APP_UPDATE: "false",
  SYFT_ENRICH: "none",
  // Package files' own checksums would make each SBOM megabytes; the packages are what is inventoried.
  SYFT_FILE_METADATA_SELECTION: "none",
};

/** Writes the image's SBOM to `outFile` (from the cache when this image ID has one) and summarises it. */
export async function writeSbom(syft: string, image: string, imageId: string, outFile: string): Promise<SbomSummary> {
  const cached = path.join(cacheDir("sbom"), `${imageId.replace(/^sha256:/, "")}.cdx.json`);
  if (!fs.existsSync(cached)) {
    const partial = `${cached}.partial`;
    await exec(syft, ["scan", `docker:${image}`, "-q", "-o", `cyclonedx-json=${partial}`], {
      env: { ...process.env, ...SYFT_OFFLINE_ENV, SYFT_CACHE_DIR: cacheDir("syft") },
      timeout: 600_000,
      maxBuffer: 16 << 20,
    });
    fs.renameSync(partial, cached);
  }
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.copyFileSync(cached, outFile);
  return summariseSbom(JSON.parse(fs.readFileSync(outFile, "utf8")) as { components?: { purl?: string }[] }, outFile);
}

/** A file name for an image's SBOM: cp3/flow-worker:0d59… -> cp3_flow-worker_0d59….cdx.json */
export const sbomFileName = (image: string) => `${image.replace(/[^A-Za-z0-9._-]+/g, "_")}.cdx.json`;
