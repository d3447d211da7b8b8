// What the stack's image builds are offered of this host (cp3:build): its CA bundle, when the host trusts a CA
// the Debian root does not (a TLS-intercepting proxy's), and its proxy settings. Decided here, where stacks are
// assembled; the components get the result as a plain HostBuildOffer.
import * as fs from "node:fs";
import type { HostBuildOffer } from "../components/local-image";
import { distributionCas, extraCertificates, hostCaBundlePath, proxyBuildArgs } from "../lib/host-trust";
import { ConfigError, type TestbedConfig } from "./config";

/** The facts about the host the decision rests on; read by `hostFacts`, given directly by tests. */
export interface HostFacts {
  /** The host's CA bundle file and its text, if it has one. */
  bundle?: { path: string; text: string };
  /** The Debian root's own bundle; undefined before `cp3 setup` imported the root. */
  stockBundle?: string;
  /** The CAs the host's distribution ships (lib/host-trust.ts distributionCas): public, not the host's own. @default "" */
  distributionCas?: string;
  env: NodeJS.ProcessEnv;
}

export interface ResolvedHostOffer {
  offer: HostBuildOffer;
  /** What the stack offers and why, for the program's log and its `hostOffer` output. */
  summary: { caBundle: string; extraCertificates: number; reason: string; proxyArgs: string[]; warnings: string[] };
}

const LOOPBACK_PROXY = /^(?:[a-z]+:\/\/)?(?:[^@/]*@)?(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])(?::\d+)?(?:\/|$)/i;

export function resolveHostOffer(build: TestbedConfig["build"], host: HostFacts): ResolvedHostOffer {
  const proxyArgs = build.proxy ? proxyBuildArgs(host.env) : {};
  // A build's 127.0.0.1 is its own container, so a proxy the host reaches on loopback is out of a build's reach.
  const warnings = Object.entries(proxyArgs)
    .filter(([name, value]) => !/no_proxy/i.test(name) && LOOPBACK_PROXY.test(value))
    .map(([name]) => `${name} points at this host's loopback, which a build container cannot reach; give the proxy an address the engine's bridge can route to`);
  const extra = host.bundle && host.stockBundle !== undefined ? extraCertificates(host.bundle.text, `${host.stockBundle}\n${host.distributionCas ?? ""}`).length : 0;

  let offered: string | undefined;
  let reason: string;
  if (build.trustHostCAs === "false") {
    reason = "cp3:build.trustHostCAs is false";
  } else if (!host.bundle) {
    if (build.trustHostCAs === "true") {
      throw new ConfigError([`cp3:build.trustHostCAs: got true, but this host has no CA bundle (SSL_CERT_FILE is unset or not a file, and none of /etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/ca-bundle.crt, /etc/ssl/cert.pem exists); allowed: auto or false here, or set SSL_CERT_FILE to your bundle`]);
    }
    reason = "this host has no CA bundle";
  } else if (build.trustHostCAs === "true") {
    offered = host.bundle.path;
    reason = "cp3:build.trustHostCAs is true";
  } else if (host.stockBundle === undefined) {
    offered = host.bundle.path;
    reason = "the Debian root's own bundle is not known yet (run cp3 setup), so the host's is offered";
  } else if (extra > 0) {
    offered = host.bundle.path;
    reason = `the host trusts ${extra} CA${extra === 1 ? "" : "s"} the Debian root does not`;
  } else {
    reason = "the host trusts no CA the Debian root does not";
  }
  return {
    offer: { ...(offered !== undefined ? { caBundle: offered } : {}), proxyArgs },
    summary: { caBundle: offered ?? "", extraCertificates: extra, reason, proxyArgs: Object.keys(proxyArgs), warnings },
  };
}

/** This host's facts, as resolveHostOffer needs them; `stockBundle` is the Debian root's (toolchain/rootfs.ts). */
export function hostFacts(stockBundle: string | undefined, env: NodeJS.ProcessEnv = process.env): HostFacts {
  const bundlePath = hostCaBundlePath(env);
  return { ...(bundlePath !== undefined ? { bundle: { path: bundlePath, text: fs.readFileSync(bundlePath, "utf8") } } : {}), ...(stockBundle !== undefined ? { stockBundle } : {}), distributionCas: distributionCas(), env };
}
