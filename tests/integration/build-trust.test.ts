// Image builds behind a TLS-intercepting proxy: examples/pypi-service takes a package from PyPI over HTTPS in a
// RUN step. Through `cp3 up` with the host's CAs offered it builds and serves; the final image carries no copy of
// any CA the host trusts beyond the Debian root's (every layer's files, its history and its config are read); with
// the offer off, the same build fails with the certificate error, and cp3 shows the failed step's output.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as docker from "../../lib/docker-api";
import { certificatesOf, distributionCas, extraCertificates, hostCaBundlePath } from "../../lib/host-trust";
import { projectRoot } from "../../lib/paths";
import { newRunId } from "../../lib/run-id";
import { leftovers } from "../../lifecycle/stacks";
import { stockCaBundle } from "../../toolchain/rootfs";
import { runCli } from "./cli-process";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-build-trust-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const hostBundlePath = hostCaBundlePath();
const hostBundle = hostBundlePath ? fs.readFileSync(hostBundlePath, "utf8") : "";
// `npm test` runs setup first, which keeps the Debian root's bundle beside its tarball.
const stock = stockCaBundle() ?? "";
// The CAs this host added: neither the Debian root's nor its own distribution's (the root may be newer than the host).
const extra = extraCertificates(hostBundle, `${stock}\n${distributionCas()}`);

/**
 * A copy of the example whose PyPI step really runs: BuildKit does not key its cache on secrets, so a layer an
 * earlier build cached would hide whether this build could reach PyPI.
 */
function freshExample(): string {
  const dir = path.join(work, newRunId());
  fs.cpSync(path.join(projectRoot, "examples", "pypi-service"), dir, { recursive: true });
  const dockerfile = path.join(dir, "Dockerfile");
  const text = fs.readFileSync(dockerfile, "utf8");
  expect(text).toContain("RUN --mount=type=secret,id=ca-bundle,");
  fs.writeFileSync(dockerfile, text.replace("RUN --mount=type=secret,id=ca-bundle,", `RUN echo ${path.basename(dir)} >/dev/null\nRUN --mount=type=secret,id=ca-bundle,`));
  return path.join(dir, "system.yaml");
}

/** PEM lines (64 base64 characters) from the middle of a certificate: found in any file that holds a copy of it. */
const fingerprintLines = (body: string) => {
  const lines = body.match(/.{64}/g) ?? [];
  return lines.slice(2, 5);
};

/** Which of `patterns` occur in the files of any layer of `image` (a file deleted by a later layer still counts). */
function patternsInLayers(image: Buffer, patterns: string[]): { found: Set<string>; layers: number } {
  const dir = fs.mkdtempSync(path.join(work, "save-"));
  fs.writeFileSync(path.join(dir, "image.tar"), image);
  execFileSync("tar", ["-xf", "image.tar"], { cwd: dir });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as { Layers: string[] }[];
  fs.writeFileSync(path.join(dir, "patterns"), `${patterns.join("\n")}\n`);
  const found = new Set<string>();
  for (const layer of manifest[0]!.Layers) {
    // Every regular file's bytes, in one stream, searched for the patterns.
    const hits = execFileSync("bash", ["-c", `tar -xOf "$1" | grep -a -o -F -f "$2" || true`, "scan", path.join(dir, layer), path.join(dir, "patterns")], { maxBuffer: 64 * 1024 * 1024 }).toString();
    for (const hit of hits.split("\n")) if (hit !== "") found.add(hit);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { found, layers: manifest[0]!.Layers.length };
}

async function outputsOf(stack: string): Promise<Record<string, unknown>> {
  const r = await runCli(["outputs", "--stack", stack, "--json"], 120_000);
  expect(r.code, r.output.slice(-2000)).toBe(0);
  return JSON.parse(r.output.slice(r.output.indexOf("{"))) as Record<string, unknown>;
}

async function destroy(stack: string): Promise<void> {
  const r = await runCli(["destroy", "--stack", stack], 300_000);
  expect(r.code, r.output.slice(-2000)).toBe(0);
  expect(await leftovers(stack)).toEqual([]);
}

describe("image builds offered the host's CAs (cp3:build.trustHostCAs)", () => {
  it("knows the Debian root's bundle and this host's", () => {
    expect(hostBundlePath).toBeDefined();
    expect(certificatesOf(stock).size).toBeGreaterThan(100);
  });

  it("builds the PyPI example through cp3 up, and its image keeps no copy of the host's extra CAs", async () => {
    const stack = `ci-trust-on-${newRunId()}`;
    try {
      const up = await runCli(["up", "--stack", stack, "--system", freshExample(), "--trust-host-cas", "true"], 900_000);
      expect(up.code, up.output.slice(-4000)).toBe(0);
      const outputs = await outputsOf(stack);
      expect(outputs.hostOffer).toMatchObject({ caBundle: hostBundlePath, extraCertificates: extra.length, reason: "cp3:build.trustHostCAs is true" });
      // The package came from PyPI: the service imports it.
      const ready = await fetch(`${String(outputs.gatewayUrl)}/readyz`);
      expect(await ready.json()).toEqual({ six: "1.16.0" });

      const image = (outputs.images as { services: Record<string, string> }).services.api!;
      const history = await docker.imageHistory(image);
      expect(history.some((h) => h.CreatedBy.includes("pip install"))).toBe(true);
      const inspect = await docker.request<{ Config: unknown }>(`/images/${encodeURIComponent(image)}/json`);
      const stockLine = fingerprintLines([...certificatesOf(stock)][0]!)[0]!;
      const extraLines = extra.flatMap(fingerprintLines);
      for (const text of [JSON.stringify(history), JSON.stringify(inspect.Config)]) {
        expect(text).not.toContain("BEGIN CERTIFICATE");
        for (const line of extraLines) expect(text).not.toContain(line);
      }
      const scan = patternsInLayers(await docker.saveImage(image), [stockLine, ...extraLines]);
      // The scan sees files: the Debian root's own bundle is there. No layer holds a line of an extra CA.
      expect(scan.layers).toBeGreaterThanOrEqual(4);
      expect([...scan.found]).toEqual([stockLine]);
    } finally {
      await destroy(stack);
    }
  }, 1_200_000);

  // Where the host trusts a CA the Debian root lacks (a TLS-intercepting proxy, as on these machines), the build
  // fails without the offer; on a host that trusts nothing more, nothing intercepts and the same build passes.
  it(`${extra.length > 0 ? "fails that build with the certificate error" : "still builds"} when the offer is off`, async () => {
    const stack = `ci-trust-off-${newRunId()}`;
    try {
      const up = await runCli(["up", "--stack", stack, "--system", freshExample(), "--trust-host-cas", "false"], 900_000);
      expect(up.output).toContain("no CA bundle offered (cp3:build.trustHostCAs is false)");
      if (extra.length === 0) {
        expect(up.code, up.output.slice(-4000)).toBe(0);
        return;
      }
      expect(up.code).not.toBe(0);
      expect(up.output).toMatch(/image build service-api failed; its log: \S+service-api\.log/);
      expect(up.output).toMatch(/#\d+ .*CERTIFICATE_VERIFY_FAILED/);
    } finally {
      await destroy(stack);
    }
  }, 1_200_000);
});
