// The supply-chain scan of a testbed's images: for each image, the image checks (image-checks.ts) and its
// Debian packages against the release's suites (package-scan.ts). One read of each image's filesystem serves
// both. `cp3 scan`, `cp3 up` (warnings) and the run (its report) call scanImages.
import * as path from "node:path";
import type { TestbedImageRefs } from "../components/testbed";
import * as docker from "../lib/docker-api";
import { versions } from "../toolchain/tools";
import { suitesOf } from "../lib/debian-suites";
import { loadSuiteIndex, type SuiteIndex } from "./debian-index";
import { compareDebianVersions } from "./debian-version";
import { checkImage, RULES, type ImageFinding, type ImageRole } from "./image-checks";
import { readImageFiles } from "./image-files";
import { installedPackages, pendingUpdates, type PendingUpdate } from "./package-scan";
import { sbomFileName, writeSbom, type SbomSummary } from "./sbom";

export interface ScannedImage {
  image: string;
  role: ImageRole;
  /** What the testbed runs it as: nats, postgres, migrate:<database>, service:<name>. */
  uses: string[];
  findings: ImageFinding[];
  /** Debian packages installed; 0 for an image without dpkg's database. */
  packages: number;
  /** The Debian release the image says it is (os-release), or "" when it is not Debian. */
  release: string;
  pending: PendingUpdate[];
  /** The image's SBOM (CycloneDX JSON) and its counts; undefined when no SBOM was asked for. */
  sbom?: SbomSummary | { error: string };
}

export interface SupplyChainScan {
  images: ScannedImage[];
  /** The suite indices the packages were compared with, and how current each is. */
  indexes: { suite: string; date: string; stale: boolean }[];
  findings: number;
  pending: number;
  pendingSecurity: number;
  /** SBOM components of every image, by package URL type; undefined when no SBOM was asked for. */
  sbomComponents?: Record<string, number>;
}

/** SBOM components of all images by type, e.g. "deb 640, npm 77, golang 99". */
export const formatComponents = (byType: Record<string, number>) => Object.entries(byType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(", ") || "none";

/** One line for the console: images, findings, pending updates (security ones). */
export function supplyChainLine(scan: SupplyChainScan | { error: string }): string {
  if ("error" in scan) return `supply chain: not scanned: ${scan.error}`;
  const sboms = scan.sbomComponents ? `; SBOM components: ${formatComponents(scan.sbomComponents)}` : "";
  return `supply chain: ${scan.images.length} images, ${scan.findings} image check finding(s), ${scan.pendingSecurity} pending security update(s) (${scan.pending} pending updates in all)${sboms}`;
}

/** The scan as lines for the console: a line per image, then each finding and pending security update under it. */
export function formatScan(scan: SupplyChainScan): string[] {
  const lines: string[] = [];
  for (const i of scan.images) {
    const security = i.pending.filter((p) => p.security);
    const packages = i.release ? `${i.packages} Debian packages (${i.release}), ${i.pending.length} pending update(s), ${security.length} for security` : "not Debian: no package scan";
    const sbom = !i.sbom ? "" : "error" in i.sbom ? `; no SBOM: ${i.sbom.error}` : `; SBOM ${i.sbom.file} (${formatComponents(i.sbom.byType)})`;
    lines.push(`${i.image} (${i.uses.join(", ")}): ${packages}; image checks ${i.findings.length === 0 ? "passed" : `${i.findings.length} finding(s)`}${sbom}`);
    for (const f of i.findings) lines.push(`  ${f.rule} (${RULES[f.rule]}): ${f.message}`);
    for (const p of security) lines.push(`  security update: ${p.name} ${p.version} -> ${p.candidate} (${p.suite})`);
  }
  for (const x of scan.indexes) lines.push(`index ${x.suite}: ${x.date}${x.stale ? " (cached: the mirror could not be reached)" : ""}`);
  lines.push(supplyChainLine(scan));
  return lines;
}

/** Why a strict run fails on its scan (--strict-scan): pending security updates, image check findings, no scan. */
export function supplyChainReasons(scan: SupplyChainScan | { error: string } | undefined): string[] {
  if (scan === undefined) return [];
  if ("error" in scan) return [`supply-chain scan could not run: ${scan.error}`];
  const reasons: string[] = [];
  for (const i of scan.images) {
    const security = i.pending.filter((p) => p.security);
    if (security.length > 0) reasons.push(`image ${i.image}: ${security.length} pending Debian security update(s): ${security.map((p) => `${p.name} ${p.version} -> ${p.candidate}`).join(", ")}`);
    for (const f of i.findings) reasons.push(`image ${i.image}: ${f.rule} ${f.message}`);
  }
  return reasons;
}

/** Each distinct image of a testbed once, with every use; an image a service runs is judged as a service's. */
export function imagesOf(refs: TestbedImageRefs): { image: string; role: ImageRole; uses: string[] }[] {
  const byRef = new Map<string, { image: string; role: ImageRole; uses: string[] }>();
  const add = (image: string, role: ImageRole, use: string) => {
    const seen = byRef.get(image) ?? { image, role, uses: [] };
    if (role === "service") seen.role = "service";
    seen.uses.push(use);
    byRef.set(image, seen);
  };
  add(refs.nats, "service", "nats");
  add(refs.postgres, "service", "postgres");
  add(refs.toxiproxy, "service", "toxiproxy");
  if (refs.monitoring) add(refs.monitoring, "service", "monitoring");
  for (const [db, image] of Object.entries(refs.migrate)) add(image, "job", `migrate:${db}`);
  for (const [name, image] of Object.entries(refs.services)) add(image, "service", `service:${name}`);
  return [...byRef.values()];
}

/** The layers of every Debian root `cp3 setup` imported (cp3/debian:*): an image must start with one of them. */
async function rootLayerSets(): Promise<string[][]> {
  const roots = (await docker.listImages()).filter((i) => (i.RepoTags ?? []).some((t) => t.startsWith("cp3/debian:")));
  return Promise.all(roots.map(async (r) => (await docker.inspectImage(r.Id)).RootFS.Layers ?? []));
}

export interface ScanOptions {
  say?: (line: string) => void;
  /** Write each image's SBOM into this folder with syft (this binary). @default no SBOMs */
  sbom?: { syft: string; dir: string };
  /** Labels of the short-lived container each image is read through (the stack's, for the sweep). @default {} */
  labels?: Record<string, string>;
  /** Reuse a cached suite index younger than this. @default 6 */
  maxIndexAgeHours?: number;
}

export async function scanImages(list: { image: string; role: ImageRole; uses: string[] }[], options: ScanOptions = {}): Promise<SupplyChainScan> {
  const roots = await rootLayerSets();
  const indexes = new Map<string, Promise<SuiteIndex[]>>();
  const indexesFor = (release: string, arch: string) => {
    const key = `${release}/${arch}`;
    if (!indexes.has(key)) {
      indexes.set(key, Promise.all(suitesOf(release, versions.debian.mirror).map((s) => loadSuiteIndex(s, { arch, compare: compareDebianVersions, maxAgeHours: options.maxIndexAgeHours, say: options.say }))));
    }
    return indexes.get(key)!;
  };

  const images: ScannedImage[] = [];
  for (const { image, role, uses } of list) {
    options.say?.(`scan ${image} (${uses.join(", ")})`);
    const [inspect, history] = await Promise.all([docker.inspectImage(image), docker.imageHistory(image)]);
    const files = await readImageFiles(image, inspect.Id, options.labels);
    const rootLayers = roots.find((layers) => layers.length > 0 && layers.every((l, i) => inspect.RootFS.Layers?.[i] === l)) ?? roots[0] ?? [];
    const findings = checkImage({ image, role, inspect, history: history.map((h) => h.CreatedBy), files, rootLayers });
    const osRelease = files.files["/etc/os-release"] ?? files.files["/usr/lib/os-release"] ?? "";
    const release = /^ID=debian$/m.test(osRelease) ? (/^VERSION_CODENAME=(.+)$/m.exec(osRelease)?.[1] ?? "") : "";
    const installed = installedPackages(files.files["/var/lib/dpkg/status"] ?? "");
    const pending = release && installed.length > 0 ? pendingUpdates(installed, await indexesFor(release, inspect.Architecture)) : [];
    const sbom = options.sbom ? await writeSbom(options.sbom.syft, image, inspect.Id, path.join(options.sbom.dir, sbomFileName(image))).catch((err: unknown) => ({ error: `syft: ${err instanceof Error ? err.message : String(err)}` })) : undefined;
    images.push({ image, role, uses, findings, packages: installed.length, release, pending, ...(sbom ? { sbom } : {}) });
  }
  const used = (await Promise.all(indexes.values())).flat();
  return {
    images,
    indexes: used.map((i) => ({ suite: i.suite, date: i.date, stale: i.stale })),
    findings: images.reduce((n, i) => n + i.findings.length, 0),
    pending: images.reduce((n, i) => n + i.pending.length, 0),
    pendingSecurity: images.reduce((n, i) => n + i.pending.filter((p) => p.security).length, 0),
    ...(options.sbom ? { sbomComponents: sumComponents(images) } : {}),
  };
}

function sumComponents(images: ScannedImage[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const i of images) if (i.sbom && !("error" in i.sbom)) for (const [t, n] of Object.entries(i.sbom.byType)) total[t] = (total[t] ?? 0) + n;
  return total;
}
