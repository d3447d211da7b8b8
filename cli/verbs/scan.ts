// cp3 scan: the supply-chain scan of a stack's images (supply-chain/scan.ts): image checks with their rule ids,
// and pending Debian updates against the release's suites. The scan itself is a library; this parses and prints.
import * as path from "node:path";
import type { Parsed, VerbSpec } from "../args";
import { projectRoot } from "../../lib/paths";
import type { TestbedImageRefs } from "../../components/testbed";
import { checkStackName, openStack, stackOutputs } from "../../lifecycle/stacks";
import { EXIT } from "../../lib/exit-codes";
import { say, step } from "../../lib/progress";
import { UsageError } from "../../lib/usage-error";
import { formatComponents, formatScan, imagesOf, scanImages, supplyChainReasons, type SupplyChainScan } from "../../supply-chain/scan";
import { grypeSbom, type GrypeResult } from "../../supply-chain/grype";
import { findOnPath } from "../../lib/which";
import { ensureToolchain } from "./setup";

export const scanSpec: VerbSpec = {
  name: "scan",
  summary: "Scan a stack's images: an SBOM of each (CycloneDX, syft), CIS image checks (rule ids), and Debian packages with a pending update in the release's -updates or -security suites (indices verified with Debian's archive keyring).",
  flags: {
    stack: { type: "string", placeholder: "S", description: "the stack whose images to scan (it must have been up)" },
    strict: { type: "boolean", description: "exit 1 on any pending security update or image check finding (default: report them, exit 0)" },
    json: { type: "boolean", description: "print the scan as one JSON object" },
    grype: { type: "boolean", description: "also match each SBOM with your own grype (on PATH, with its database: these machines cannot reach one); optional, never needed" },
    "sbom-dir": { type: "string", placeholder: "DIR", description: "where each image's SBOM (CycloneDX JSON, from syft) goes (default: .cp3/sbom/<stack>)" },
  },
  required: ["stack"],
};

/** Each image's SBOM matched by the user's grype; an image whose match failed says why. */
async function grypeAll(scan: SupplyChainScan): Promise<Record<string, GrypeResult | { error: string }>> {
  const grype = findOnPath("grype");
  if (!grype) throw new UsageError("--grype: grype is not on PATH; install it (and its database) where a vulnerability database can be reached, or leave --grype out");
  const out: Record<string, GrypeResult | { error: string }> = {};
  for (const i of scan.images) {
    if (!i.sbom || "error" in i.sbom) out[i.image] = { error: "no SBOM" };
    else out[i.image] = await step(`grype ${i.image}`, () => grypeSbom(grype, (i.sbom as { file: string }).file)).catch((err: unknown) => ({ error: err instanceof Error ? err.message.split("\n")[0]! : String(err) }));
  }
  return out;
}

export async function runScan(parsed: Parsed): Promise<number> {
  const name = String(parsed.values.stack);
  checkStackName(name);
  const toolchain = await ensureToolchain();
  const stack = await openStack(name, toolchain, { create: false });
  const images = (await stackOutputs(stack, false)).images as TestbedImageRefs | undefined;
  if (!images) throw new UsageError(`stack ${name} has no image refs in its outputs: it was never up; run \`npm run cp3 -- up --stack ${name}\` first`);
  const dir = typeof parsed.values["sbom-dir"] === "string" ? path.resolve(parsed.values["sbom-dir"]) : path.join(projectRoot, ".cp3", "sbom", name);
  const scan = await step(`scan the images of ${name}`, () => scanImages(imagesOf(images), { say, sbom: { syft: path.join(toolchain.binDir, "syft"), dir }, labels: { "cp3.stack": name } }));
  const grype = parsed.values.grype === true ? await grypeAll(scan) : undefined;
  process.stdout.write(parsed.values.json === true ? `${JSON.stringify(grype ? { ...scan, grype } : scan, null, 2)}\n` : `${[...formatScan(scan), ...Object.entries(grype ?? {}).map(([image, r]) => `grype ${image}: ${"error" in r ? r.error : `${formatComponents(r.bySeverity)}${r.worst.length ? `; critical and high: ${r.worst.join(", ")}` : ""}`}`)].join("\n")}\n`);
  return parsed.values.strict === true && supplyChainReasons(scan).length > 0 ? EXIT.verdict : EXIT.ok;
}
