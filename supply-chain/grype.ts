// Optional: where a machine can reach a vulnerability database, the user's own grype (Apache-2.0; never built or
// downloaded here) matches each image's SBOM against it. These machines cannot reach one, so nothing depends on it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface GrypeResult {
  /** Matches by severity (Critical, High, Medium, Low, Negligible, Unknown). */
  bySeverity: Record<string, number>;
  /** The critical and high ones: vulnerability id, package and version. */
  worst: string[];
}

interface GrypeJson {
  matches?: { vulnerability?: { id?: string; severity?: string }; artifact?: { name?: string; version?: string } }[];
}

export function summariseGrype(doc: GrypeJson): GrypeResult {
  const bySeverity: Record<string, number> = {};
  const worst: string[] = [];
  for (const m of doc.matches ?? []) {
    const severity = m.vulnerability?.severity ?? "Unknown";
    bySeverity[severity] = (bySeverity[severity] ?? 0) + 1;
    if (severity === "Critical" || severity === "High") worst.push(`${m.vulnerability?.id ?? "?"} in ${m.artifact?.name ?? "?"} ${m.artifact?.version ?? ""}`.trim());
  }
  return { bySeverity, worst };
}

/** grype against one SBOM file; its own database must be there (grype db update needs the network). */
export async function grypeSbom(grype: string, sbomFile: string): Promise<GrypeResult> {
  const { stdout } = await exec(grype, [`sbom:${sbomFile}`, "-o", "json", "-q"], { env: { ...process.env, GRYPE_CHECK_FOR_APP_UPDATE: "false" }, maxBuffer: 256 << 20, timeout: 600_000 });
  return summariseGrype(JSON.parse(stdout) as GrypeJson);
}
