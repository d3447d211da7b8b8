// The suites a Debian release's packages come from: the release, its updates and its security updates (the
// security archive lives beside the main one). The root image's apt sources and the scan's indices agree here.

export interface SuiteSource {
  /** e.g. bookworm-security */
  suite: string;
  /** The archive root the suite lives under, e.g. http://deb.debian.org/debian-security */
  mirror: string;
}

export function suitesOf(release: string, mirror: string): SuiteSource[] {
  const security = mirror.replace(/\/debian\/?$/, "/debian-security");
  return [
    { suite: release, mirror },
    { suite: `${release}-updates`, mirror },
    { suite: `${release}-security`, mirror: security },
  ];
}
