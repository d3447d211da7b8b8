// The "Supply chain" section of report.html: each image the stack ran, its image checks (rule ids) and its
// Debian packages against the release's suites, with how current each suite's index was.
import { formatComponents, type SupplyChainScan } from "../supply-chain/scan";
import { RULES } from "../supply-chain/image-checks";
import { badge, esc, missing, table } from "./markup";

export function supplyChainSection(scan: SupplyChainScan | { error: string } | undefined): string {
  const open = `<section id="supply-chain"><h2>Supply chain</h2>`;
  if (!scan) return `${open}\n${missing("The images were not scanned: the run stopped before its health gate.")}\n</section>`;
  if ("error" in scan) return `${open}\n${missing(`The images could not be scanned: ${scan.error}`)}\n</section>`;
  const sboms = scan.sbomComponents ? ` SBOMs (CycloneDX, in sbom/ beside this report): ${formatComponents(scan.sbomComponents)} components.` : "";
  const summary = `<p>${esc(`${scan.images.length} images; ${scan.findings} image check finding(s); ${scan.pendingSecurity} pending security update(s), ${scan.pending} pending updates in all.${sboms}`)}</p>`;
  const images = table(
    "supply-chain-images",
    ["Image", "Used as", "Debian packages", "Pending updates", "Pending security updates", "Image checks", "SBOM components"],
    scan.images.map((i) => [
      i.image,
      i.uses.join(", "),
      i.release ? `${i.packages} (${i.release})` : "not Debian",
      i.pending.length,
      i.pending.filter((p) => p.security).length,
      i.findings.length === 0 ? badge(true) : i.findings.map((f) => f.rule).join(", "),
      !i.sbom ? "not made" : "error" in i.sbom ? `none: ${i.sbom.error}` : formatComponents(i.sbom.byType),
    ]),
  );
  const findings = scan.findings === 0 ? "" : `<h3>Image check findings</h3>\n${table("supply-chain-findings", ["Image", "Rule", "Checks for", "Finding"], scan.images.flatMap((i) => i.findings.map((f) => [i.image, f.rule, RULES[f.rule], f.message])))}`;
  const pending = scan.pending === 0 ? "" : `<h3>Pending updates</h3>\n${table("supply-chain-pending", ["Image", "Package", "Installed", "Newest", "Suite"], scan.images.flatMap((i) => i.pending.map((p) => [i.image, p.name, p.version, p.candidate, p.suite])))}`;
  const indexes = `<p>${esc(`Compared with ${scan.indexes.map((x) => `${x.suite} (${x.date}${x.stale ? ", cached: the mirror could not be reached" : ""})`).join(", ") || "no suite index (no Debian image)"}.`)}</p>`;
  return `${open}\n${summary}\n${images}\n${findings}\n${pending}\n${indexes}\n</section>`;
}
