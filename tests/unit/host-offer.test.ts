// What a stack's image builds are offered of the host (stacks/host-offer.ts, lib/host-trust.ts): the CA bundle
// when the host trusts a CA the Debian root does not, the proxy settings it sets, and every refusal by name.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { certificatesOf, distributionCas, extraCertificates, hostCaBundlePath, proxyBuildArgs } from "../../lib/host-trust";
import { ConfigError, parseConfig } from "../../stacks/config";
import { resolveHostOffer, type HostFacts } from "../../stacks/host-offer";

const pem = (body: string, comment = "") => `${comment}-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
const mozilla = pem("A".repeat(100)) + pem("B".repeat(90));
const corporate = pem("C".repeat(120), "# Corporate proxy CA\n");
/** null: the Debian root's bundle is not known. */
const host = (bundle: string | undefined, stockBundle: string | null = mozilla, env: NodeJS.ProcessEnv = {}): HostFacts => ({
  ...(bundle !== undefined ? { bundle: { path: "/etc/ssl/certs/ca-certificates.crt", text: bundle } } : {}),
  ...(stockBundle !== null ? { stockBundle } : {}),
  env,
});
const build = (trustHostCAs: "auto" | "true" | "false", proxy = true) => ({ trustHostCAs, proxy });

describe("certificates of a bundle", () => {
  it("compares by content: comments, order and line breaks do not count", () => {
    const reflowed = `# comment\n${pem("B".repeat(90)).replace(/\n/g, "\r\n")}${pem("A".repeat(100))}`;
    expect(certificatesOf(reflowed)).toEqual(certificatesOf(mozilla));
    expect(extraCertificates(mozilla + corporate, reflowed)).toEqual(["C".repeat(120)]);
  });

  it("counts a public CA the host's distribution ships but a newer Debian root dropped as public, not the host's own", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-distribution-cas-"));
    fs.mkdirSync(path.join(dir, "mozilla"));
    fs.writeFileSync(path.join(dir, "mozilla", "Old_Root.crt"), pem("D".repeat(80)));
    fs.writeFileSync(path.join(dir, "README"), "not a certificate");
    expect(certificatesOf(distributionCas(dir))).toEqual(new Set(["D".repeat(80)]));
    expect(distributionCas(path.join(dir, "absent"))).toBe("");
    const withOld = { ...host(mozilla + corporate + pem("D".repeat(80))), distributionCas: distributionCas(dir) };
    expect(resolveHostOffer(build("auto"), withOld).summary).toMatchObject({ extraCertificates: 1, reason: "the host trusts 1 CA the Debian root does not" });
  });

  it("finds the host's bundle through SSL_CERT_FILE first", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cp3-bundle-")), "mine.pem");
    fs.writeFileSync(file, corporate);
    expect(hostCaBundlePath({ SSL_CERT_FILE: file })).toBe(file);
    expect(hostCaBundlePath({ SSL_CERT_FILE: "/nonexistent/ca.pem" })).not.toBe("/nonexistent/ca.pem");
  });
});

describe("resolveHostOffer", () => {
  it("auto offers the host's bundle when it trusts a CA the Debian root does not", () => {
    expect(resolveHostOffer(build("auto"), host(mozilla + corporate))).toEqual({
      offer: { caBundle: "/etc/ssl/certs/ca-certificates.crt", proxyArgs: {} },
      summary: { caBundle: "/etc/ssl/certs/ca-certificates.crt", extraCertificates: 1, reason: "the host trusts 1 CA the Debian root does not", proxyArgs: [], warnings: [] },
    });
  });

  it("auto offers nothing when the host trusts what the Debian root trusts (or less)", () => {
    for (const bundle of [mozilla, pem("A".repeat(100))]) {
      expect(resolveHostOffer(build("auto"), host(bundle))).toMatchObject({ offer: { proxyArgs: {} }, summary: { caBundle: "", extraCertificates: 0, reason: "the host trusts no CA the Debian root does not" } });
    }
  });

  it("auto offers the bundle while the Debian root's is not known yet", () => {
    expect(resolveHostOffer(build("auto"), host(mozilla, null)).offer.caBundle).toBe("/etc/ssl/certs/ca-certificates.crt");
  });

  it("true always offers it, false never", () => {
    expect(resolveHostOffer(build("true"), host(mozilla)).offer.caBundle).toBe("/etc/ssl/certs/ca-certificates.crt");
    expect(resolveHostOffer(build("false"), host(mozilla + corporate))).toMatchObject({ offer: { proxyArgs: {} }, summary: { caBundle: "", extraCertificates: 1, reason: "cp3:build.trustHostCAs is false" } });
    expect(resolveHostOffer(build("false"), host(mozilla + corporate)).offer).not.toHaveProperty("caBundle");
  });

  it("refuses true on a host without a bundle, naming the key and what would do", () => {
    expect(() => resolveHostOffer(build("true"), host(undefined))).toThrow(ConfigError);
    expect(() => resolveHostOffer(build("true"), host(undefined))).toThrow(/cp3:build\.trustHostCAs: got true, but this host has no CA bundle.*allowed: auto or false here, or set SSL_CERT_FILE/);
    expect(resolveHostOffer(build("auto"), host(undefined)).summary.reason).toBe("this host has no CA bundle");
  });

  it("passes the proxy settings the host sets, warns about a loopback proxy, and passes none with proxy off", () => {
    const env = { HTTPS_PROXY: "http://user:pw@127.0.0.1:3128", http_proxy: "http://proxy.corp:8080", NO_PROXY: "localhost,127.0.0.1", PATH: "/bin" };
    const r = resolveHostOffer(build("false"), host(mozilla, mozilla, env));
    expect(r.offer.proxyArgs).toEqual({ HTTPS_PROXY: "http://user:pw@127.0.0.1:3128", http_proxy: "http://proxy.corp:8080", NO_PROXY: "localhost,127.0.0.1" });
    expect(r.summary.proxyArgs).toEqual(["http_proxy", "HTTPS_PROXY", "NO_PROXY"]);
    expect(r.summary.warnings).toEqual([expect.stringMatching(/^HTTPS_PROXY points at this host's loopback/)]);
    expect(resolveHostOffer(build("false", false), host(mozilla, mozilla, env)).offer.proxyArgs).toEqual({});
    expect(proxyBuildArgs({ FTP_PROXY: "", all_proxy: "socks5://p:1080" })).toEqual({ all_proxy: "socks5://p:1080" });
  });
});

describe("cp3:build", () => {
  const base = { "cp3:kind": "ci" };
  it("defaults to auto with the proxy passed, and takes true and false as Pulumi stores them", () => {
    expect(parseConfig(base, "ci").build).toEqual({ trustHostCAs: "auto", proxy: true });
    expect(parseConfig({ ...base, "cp3:build": JSON.stringify({ trustHostCAs: true, proxy: false }) }, "ci").build).toEqual({ trustHostCAs: "true", proxy: false });
    expect(parseConfig({ ...base, "cp3:build": JSON.stringify({ trustHostCAs: "false" }) }, "ci").build.trustHostCAs).toBe("false");
  });

  it("names a bad value and an unknown key", () => {
    expect(() => parseConfig({ ...base, "cp3:build": JSON.stringify({ trustHostCAs: "yes", proxies: 1 }) }, "ci")).toThrow(
      /cp3:build\.proxies: unknown key; allowed keys: trustHostCAs, proxy[\s\S]*cp3:build\.trustHostCAs: got "yes"; allowed: auto, true, false/,
    );
  });
});
