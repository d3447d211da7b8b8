// What this host trusts and how it reaches the network, for image builds: a build runs in a container that
// trusts only the CAs of its own image, so behind a TLS-intercepting proxy (whose CA the host trusts) every
// HTTPS fetch in a RUN step fails with CERTIFICATE_VERIFY_FAILED.
import * as fs from "node:fs";
import * as path from "node:path";

/** The BuildKit secret id under which builds are offered the host's CA bundle. */
export const CA_BUNDLE_SECRET = "ca-bundle";

// Debian and Ubuntu, Fedora and RHEL, Alpine and the BSDs.
const BUNDLE_PATHS = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

const isFile = (file: string) => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The host's CA bundle: SSL_CERT_FILE when it names a file (OpenSSL's own override), else the distribution's. */
export function hostCaBundlePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.SSL_CERT_FILE;
  if (fromEnv !== undefined && fromEnv !== "" && isFile(fromEnv)) return path.resolve(fromEnv);
  return BUNDLE_PATHS.find(isFile);
}

/**
 * The certificates of a PEM bundle by their base64 bodies, whitespace removed: two bundles compare by what they
 * trust, not by their comments, order or line breaks.
 */
export function certificatesOf(pem: string): Set<string> {
  const found = new Set<string>();
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) found.add(m[1]!.replace(/\s+/g, ""));
  return found;
}

/**
 * The CAs this host trusts because its distribution ships them (Debian's and Ubuntu's ca-certificates package,
 * /usr/share/ca-certificates), as one PEM text; "" elsewhere. A CA the host trusts beyond these was added on the
 * host (a TLS-intercepting proxy's). The Debian root may be newer than the host and drop public CAs the host still
 * ships: those are not the host's own additions.
 */
export function distributionCas(dir = "/usr/share/ca-certificates"): string {
  if (!fs.existsSync(dir)) return "";
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".crt"))
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

/** Certificates `bundle` trusts that `reference` does not. */
export function extraCertificates(bundle: string, reference: string): string[] {
  const known = certificatesOf(reference);
  return [...certificatesOf(bundle)].filter((c) => !known.has(c));
}

/** Docker's predefined proxy build arguments: it keeps them out of `docker history` and out of the cache key. */
export const PROXY_BUILD_ARGS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "FTP_PROXY", "ftp_proxy", "ALL_PROXY", "all_proxy"] as const;

/** The proxy settings this host's environment sets, as build arguments. */
export function proxyBuildArgs(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(PROXY_BUILD_ARGS.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}
