// The supply-chain scan's pure parts: the image checks (each rule, its id and its fix), the cache folders, dpkg's
// database and the archive's indices, pending updates, and what a strict run fails on. The scan of real images
// is tests/integration/supply-chain.test.ts.
import { describe, expect, it } from "vitest";
import type { ImageInspect } from "../../lib/docker-api";
import { suitesOf } from "../../lib/debian-suites";
import { aptSources } from "../../toolchain/rootfs";
import { listedSha256, newestVersions, type SuiteIndex } from "../../supply-chain/debian-index";
import { compareDebianVersions } from "../../supply-chain/debian-version";
import { checkImage, secretLike, secretsInHistory, type ImageFacts } from "../../supply-chain/image-checks";
import { cacheFolderOf } from "../../supply-chain/image-files";
import { installedPackages, pendingUpdates } from "../../supply-chain/package-scan";
import { sbomFileName, summariseSbom } from "../../supply-chain/sbom";
import { summariseGrype } from "../../supply-chain/grype";
import { formatComponents, supplyChainReasons, type SupplyChainScan } from "../../supply-chain/scan";

const ROOT = ["sha256:root"];
function facts(over: { inspect?: Partial<ImageInspect["Config"]>; layers?: string[]; role?: "service" | "job"; history?: string[]; setid?: string[]; caches?: string[] } = {}): ImageFacts {
  const inspect: ImageInspect = {
    Id: "sha256:img",
    Architecture: "amd64",
    Config: { User: "10002:10002", Env: ["PATH=/usr/bin", "CONTAINER_POSTGRES__PASSWORD_FILE=/run/secrets/postgres-password"], Labels: {}, Healthcheck: { Test: ["CMD", "true"] }, ...over.inspect },
    RootFS: { Layers: over.layers ?? [...ROOT, "sha256:app"] },
  };
  return {
    image: "cp3/x:1",
    role: over.role ?? "service",
    inspect,
    history: over.history ?? ["/bin/sh -c #(nop) USER 10002:10002"],
    files: { setid: (over.setid ?? []).map((path) => ({ path, mode: 0o4755 })), caches: (over.caches ?? []).map((path) => ({ path, files: 3 })), files: {}, entries: 10 },
    rootLayers: ROOT,
  };
}
const rules = (f: ImageFacts) => checkImage(f).map((x) => x.rule);

describe("image checks", () => {
  it("passes a non-root, healthchecked image on the Debian root with no setuid files, secrets or caches", () => {
    expect(checkImage(facts())).toEqual([]);
  });

  it("CIS-4.1: refuses no USER, root and uid 0", () => {
    for (const User of ["", "root", "0", "0:0", "root:10002"]) expect(rules(facts({ inspect: { User } })), User).toEqual(["CIS-4.1"]);
    expect(checkImage(facts({ inspect: { User: "" } }))[0]!.message).toBe("runs as root (no USER); add USER <uid>:<gid> with a non-zero uid");
  });

  it("CIS-4.2: refuses an image that does not start with the Debian root's layers", () => {
    expect(rules(facts({ layers: ["sha256:other", "sha256:app"] }))).toEqual(["CIS-4.2"]);
    expect(rules(facts({ layers: [] }))).toEqual(["CIS-4.2"]);
  });

  it("CIS-4.6: wants a HEALTHCHECK of a service's image, not of a job's", () => {
    expect(rules(facts({ inspect: { Healthcheck: null } }))).toEqual(["CIS-4.6"]);
    expect(rules(facts({ inspect: { Healthcheck: { Test: ["NONE"] } } }))).toEqual(["CIS-4.6"]);
    expect(rules(facts({ inspect: { Healthcheck: null }, role: "job" }))).toEqual([]);
  });

  it("CIS-4.8: lists setuid and setgid files and says how to strip them", () => {
    const [f] = checkImage(facts({ setid: ["/usr/bin/su", "/usr/bin/passwd"] }));
    expect(f).toEqual({ rule: "CIS-4.8", image: "cp3/x:1", message: "has 2 setuid/setgid file(s): /usr/bin/su, /usr/bin/passwd; strip them: RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +" });
  });

  it("CIS-4.10: finds secret-like values in ENV, labels and the build history, not references to them", () => {
    expect(secretLike([["DB_PASSWORD", "hunter2"], ["DB_PASSWORD_FILE", "/run/secrets/pw"], ["API_TOKEN", "${TOKEN}"], ["NOTE", "-----BEGIN RSA PRIVATE KEY-----"], ["PATH", "/usr/bin"], ["SECRET", ""]])).toEqual(["DB_PASSWORD", "NOTE"]);
    expect(secretsInHistory(["/bin/sh -c #(nop)  ENV AWS_SECRET_ACCESS_KEY=abc123", "RUN curl -H TOKEN=$TOKEN x", "RUN echo AKIAABCDEFGHIJKLMNOP > /x"])).toEqual(["AWS_SECRET_ACCESS_KEY", "(a key in a build step)"]);
    const [f] = checkImage(facts({ inspect: { Env: ["PGPASSWORD=s3cret"], Labels: { "api.token": "tok-123" } }, history: ["ENV PGPASSWORD=s3cret"] }));
    expect(f).toEqual({ rule: "CIS-4.10", image: "cp3/x:1", message: "holds what looks like a secret (ENV PGPASSWORD; labels api.token; build history PGPASSWORD); pass secrets as files at run time, or as BuildKit secret mounts while building" });
  });

  it("CP3-IMAGE-CACHE: names each cache folder left in the image", () => {
    expect(checkImage(facts({ caches: ["/var/lib/apt/lists", "/root/.npm/_cacache"] }))[0]!.message).toBe("keeps package manager caches: /var/lib/apt/lists (3 files), /root/.npm/_cacache (3 files); remove them in the step that fills them (e.g. rm -rf /var/lib/apt/lists/*)");
  });

  it("knows the cache folders of apt, npm, pip, Go and cargo, and not their locks or ordinary files", () => {
    const cases: [string, string | undefined][] = [
      ["var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "var/lib/apt/lists"],
      ["var/lib/apt/lists/lock", undefined],
      ["var/lib/apt/lists/partial/x", undefined],
      ["var/cache/apt/archives/curl_7.88.deb", "var/cache/apt/archives"],
      ["var/cache/apt/pkgcache.bin", "var/cache/apt"],
      ["root/.npm/_cacache/index-v5/ab", "root/.npm/_cacache"],
      ["home/app/.cache/pip/http/x", "home/app/.cache/pip"],
      ["root/.cache/go-build/00/x", "root/.cache/go-build"],
      ["usr/local/cargo/.cargo/registry/cache/x.crate", "usr/local/cargo/.cargo/registry/cache"],
      ["app/node_modules/pg/package.json", undefined],
      ["usr/share/doc/apt/changelog.gz", undefined],
    ];
    for (const [p, folder] of cases) expect(cacheFolderOf(p), p).toBe(folder);
  });
});

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u9

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2026f-0+deb12u1
`;

describe("Debian packages and indices", () => {
  it("reads the installed packages (not removed ones) with their source package", () => {
    expect(installedPackages(STATUS)).toEqual([
      { name: "libc6", version: "2.36-9+deb12u9", arch: "amd64", source: "glibc" },
      { name: "tzdata", version: "2026f-0+deb12u1", arch: "all", source: "tzdata" },
      { name: "zlib1g", version: "1:1.2.13.dfsg-1", arch: "amd64", source: "zlib" },
    ]);
  });

  it("keeps the newest version per package of the architecture and 'all' from a Packages file", () => {
    const packages = ["Package: libc6\nVersion: 2.36-9+deb12u9\nArchitecture: amd64", "Package: libc6\nVersion: 2.36-9+deb12u10\nArchitecture: amd64", "Package: libc6\nVersion: 2.36-9+deb12u11\nArchitecture: arm64", "Package: tzdata\nVersion: 2026g-0+deb12u1\nArchitecture: all"].join("\n\n");
    expect(Object.fromEntries(newestVersions(packages, "amd64", compareDebianVersions))).toEqual({ libc6: "2.36-9+deb12u10", tzdata: "2026g-0+deb12u1" });
  });

  it("finds a file's SHA-256 in InRelease's SHA256 section, not in MD5Sum's", () => {
    const inRelease = "Origin: Debian\nMD5Sum:\n 0123 10 main/binary-amd64/Packages.xz\nSHA256:\n aaaa 5 main/binary-all/Packages.xz\n bbbb 10 main/binary-amd64/Packages.xz\n-----BEGIN PGP SIGNATURE-----\n";
    expect(listedSha256(inRelease, "main/binary-amd64/Packages.xz")).toBe("bbbb");
    expect(listedSha256(inRelease, "main/binary-arm64/Packages.xz")).toBeUndefined();
  });

  it("takes the release, its updates and its security suites, security from the debian-security archive", () => {
    expect(suitesOf("bookworm", "http://deb.debian.org/debian")).toEqual([
      { suite: "bookworm", mirror: "http://deb.debian.org/debian" },
      { suite: "bookworm-updates", mirror: "http://deb.debian.org/debian" },
      { suite: "bookworm-security", mirror: "http://deb.debian.org/debian-security" },
    ]);
    // The root image's apt sources are the same suites, so a fresh build scans clean.
    expect(aptSources()).toBe("deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n");
  });

  it("lists a package as pending when any suite has a newer version, security when the newest is from -security", () => {
    const index = (suite: string, newest: Record<string, string>): SuiteIndex => ({ suite, date: "d", newest: new Map(Object.entries(newest)), stale: false });
    const pending = pendingUpdates(installedPackages(STATUS), [
      index("bookworm", { libc6: "2.36-9+deb12u9", zlib1g: "1:1.2.13.dfsg-1", tzdata: "2026a-0+deb12u1" }),
      index("bookworm-updates", { tzdata: "2026g-0+deb12u1" }),
      index("bookworm-security", { libc6: "2.36-9+deb12u10" }),
    ]);
    expect(pending.map((p) => [p.name, p.candidate, p.suite, p.security])).toEqual([
      ["libc6", "2.36-9+deb12u10", "bookworm-security", true],
      ["tzdata", "2026g-0+deb12u1", "bookworm-updates", false],
    ]);
  });
});

describe("a strict run's scan reasons", () => {
  const scan = (over: Partial<SupplyChainScan["images"][number]>): SupplyChainScan => ({
    images: [{ image: "cp3/x:1", role: "service", uses: ["nats"], findings: [], packages: 100, release: "bookworm", pending: [], ...over }],
    indexes: [],
    findings: 0,
    pending: 0,
    pendingSecurity: 0,
  });
  it("fails on pending security updates and image findings, not on other pending updates; a failed scan is a reason", () => {
    const libc = { name: "libc6", version: "1", arch: "amd64", source: "glibc", candidate: "2", suite: "bookworm-security", security: true };
    const tz = { ...libc, name: "tzdata", suite: "bookworm-updates", security: false };
    expect(supplyChainReasons(scan({ pending: [tz] }))).toEqual([]);
    expect(supplyChainReasons(scan({ pending: [libc, tz], findings: [{ rule: "CIS-4.8", image: "cp3/x:1", message: "has 1 setuid/setgid file(s)" }] }))).toEqual([
      "image cp3/x:1: 1 pending Debian security update(s): libc6 1 -> 2",
      "image cp3/x:1: CIS-4.8 has 1 setuid/setgid file(s)",
    ]);
    expect(supplyChainReasons({ error: "no index" })).toEqual(["supply-chain scan could not run: no index"]);
    expect(supplyChainReasons(undefined)).toEqual([]);
  });
});

describe("SBOM summaries", () => {
  it("counts a CycloneDX document's components by package URL type, those without one as other", () => {
    const doc = { components: [{ purl: "pkg:deb/debian/libc6@2.36?arch=amd64" }, { purl: "pkg:deb/debian/zlib1g@1.2" }, { purl: "pkg:npm/pg@8.23.1" }, { purl: "pkg:golang/github.com/nats-io/nats-server/v2@v2.15.2" }, { purl: "pkg:generic/node@24.21.0" }, {}] };
    expect(summariseSbom(doc, "/r/x.cdx.json")).toEqual({ file: "/r/x.cdx.json", components: 6, byType: { deb: 2, npm: 1, golang: 1, generic: 1, other: 1 } });
    expect(formatComponents({ npm: 1, deb: 2, golang: 1 })).toBe("deb 2, npm 1, golang 1");
    expect(formatComponents({})).toBe("none");
  });

  it("names an image's SBOM file after the image, with nothing a path could misread", () => {
    expect(sbomFileName("cp3/flow-worker:0d592e8880757bb1")).toBe("cp3_flow-worker_0d592e8880757bb1.cdx.json");
  });
});

describe("grype's matches (optional, the user's own grype)", () => {
  it("counts matches by severity and names the critical and high ones", () => {
    const doc = { matches: [
      { vulnerability: { id: "CVE-2026-1", severity: "Critical" }, artifact: { name: "openssl", version: "3.0.20" } },
      { vulnerability: { id: "CVE-2026-2", severity: "Low" }, artifact: { name: "tzdata", version: "2026a" } },
      { vulnerability: { id: "CVE-2026-3", severity: "High" }, artifact: { name: "zlib1g", version: "1.2.13" } },
    ] };
    expect(summariseGrype(doc)).toEqual({ bySeverity: { Critical: 1, Low: 1, High: 1 }, worst: ["CVE-2026-1 in openssl 3.0.20", "CVE-2026-3 in zlib1g 1.2.13"] });
    expect(summariseGrype({})).toEqual({ bySeverity: {}, worst: [] });
  });
});
