// Pending Debian updates: every package dpkg lists as installed in an image, against the newest version of it
// in the release's suites (debian-index.ts). A package whose newest version is in the security suite is a
// pending security update.
import { compareDebianVersions } from "./debian-version";
import type { SuiteIndex } from "./debian-index";

export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  /** The source package, for grouping (a DSA names source packages). */
  source: string;
}

export interface PendingUpdate extends InstalledPackage {
  candidate: string;
  /** The suite the candidate comes from. */
  suite: string;
  security: boolean;
}

/** Installed packages from dpkg's database (/var/lib/dpkg/status). */
export function installedPackages(status: string): InstalledPackage[] {
  const installed: InstalledPackage[] = [];
  for (const stanza of status.split(/\n\n+/)) {
    const field = (f: string) => new RegExp(`^${f}: (.+)$`, "m").exec(stanza)?.[1]?.trim();
    const name = field("Package");
    const version = field("Version");
    if (!name || !version || field("Status") !== "install ok installed") continue;
    installed.push({ name, version, arch: field("Architecture") ?? "", source: (field("Source") ?? name).split(" ")[0]! });
  }
  return installed.sort((a, b) => a.name.localeCompare(b.name));
}

/** Packages with a newer version in one of the suites, the newest candidate taken. */
export function pendingUpdates(installed: InstalledPackage[], indexes: SuiteIndex[]): PendingUpdate[] {
  const pending: PendingUpdate[] = [];
  for (const p of installed) {
    let best: { version: string; suite: string } | undefined;
    for (const index of indexes) {
      const v = index.newest.get(p.name);
      if (v !== undefined && (best === undefined || compareDebianVersions(v, best.version) > 0)) best = { version: v, suite: index.suite };
    }
    if (best && compareDebianVersions(best.version, p.version) > 0) pending.push({ ...p, candidate: best.version, suite: best.suite, security: best.suite.endsWith("-security") });
  }
  return pending;
}
