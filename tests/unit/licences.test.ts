// The licence guard: nothing under the AGPL, the GPL (the LGPL is fine) or the SSPL in any Go module of any
// toolchain wrapper's go.sum or any npm package of the two lockfiles. Needs `go` on PATH and, for modules not yet
// in the module cache, the Go module proxy (nothing else: the failing cases use a local file:// proxy).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import {
  classifyLicenceText,
  describeGoModule,
  describeNpmPackage,
  forbidden,
  goModCache,
  goModuleLicences,
  goSumModules,
  npmLicenceField,
  npmPackageLicences,
  toolLicence,
  type GoModuleLicence,
  type NpmPackageLicence,
} from "../../toolchain/licences";

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", "licences", name), "utf8");

/** What the guard reports: one line per forbidden module or package. */
function offences(go: GoModuleLicence[], npm: NpmPackageLicence[]): string[] {
  return [...go.filter((m) => m.forbidden).map(describeGoModule), ...npm.filter((p) => p.forbidden).map(describeNpmPackage)];
}

/** The guard's assertion, shared by the real check and the fixtures that prove it fails. */
function expectNoOffences(go: GoModuleLicence[], npm: NpmPackageLicence[]): void {
  const found = offences(go, npm);
  expect(found, `forbidden licences (AGPL, GPL, SSPL):\n${found.join("\n")}\n`).toEqual([]);
}

describe("classifyLicenceText", () => {
  it.each([
    ["agpl-3.0-preamble.txt", "AGPL-3.0", true],
    ["gpl-3.0-head.txt", "GPL-3.0", true],
    ["lgpl-2.1-head.txt", "LGPL-2.1", false],
    ["sspl-1.0-head.txt", "SSPL-1.0", true],
    // The GPL named in a NOTICE, and the GPL family named as MPL "Secondary Licenses", put nothing under them.
    ["apache-2.0-with-notice.txt", "Apache-2.0", false],
    ["mpl-2.0-head.txt", "MPL-2.0", false],
    ["mit.txt", "MIT", false],
    // A BSD licence offering the GPL as an alternative: one may choose the BSD.
    ["bsd-3-clause-or-gpl-2.0.txt", "BSD-3-Clause OR GPL-2.0", false],
  ])("%s is %s (forbidden: %s)", (file, licence, isForbidden) => {
    const found = classifyLicenceText(fixture(file));
    expect(found).toBe(licence);
    expect(forbidden(found)).toBe(isForbidden);
  });

  it("reads a GPL text appended to another licence as applying too, unless it is the LGPL's base", () => {
    expect(classifyLicenceText(`${fixture("mit.txt")}\n\n${fixture("gpl-3.0-head.txt")}`)).toBe("MIT AND GPL-3.0");
    const lgpl3 = "GNU LESSER GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n\n This version of the GNU Lesser General Public License incorporates the terms and conditions of version 3 of the GNU General Public License, supplemented by the additional permissions listed below.\n";
    expect(classifyLicenceText(`${lgpl3}\n\n${fixture("gpl-3.0-head.txt")}`)).toBe("LGPL-3.0");
    expect(classifyLicenceText("GNU LIBRARY GENERAL PUBLIC LICENSE\n Version 2, June 1991\n")).toBe("LGPL-2.0");
  });

  it("reads quoted and SPDX-tagged texts, and says unknown for anything else", () => {
    const quoted = fixture("bsd-3-clause-or-gpl-2.0.txt").split("\n").slice(2, 14).map((l) => `> ${l}`).join("\n");
    expect(classifyLicenceText(quoted)).toBe("BSD-3-Clause");
    expect(classifyLicenceText("`SPDX-License-Identifier: BSD-3-Clause AND MPL-2.0`\n\nSee LICENSE.BSD and LICENSE.MPL-2.0.")).toBe("BSD-3-Clause AND MPL-2.0");
    expect(classifyLicenceText("All rights reserved. Ask us before you use this.")).toBe("unknown");
  });
});

describe("forbidden", () => {
  it.each([
    ["MIT", false],
    ["AGPL-3.0-only", true],
    ["AGPL-3.0-or-later", true],
    ["GPL-2.0-or-later", true],
    ["GPL-3.0+", true],
    ["GPL-2.0 WITH Classpath-exception-2.0", true],
    ["LGPL-2.1-only", false],
    ["LGPL-3.0-or-later", false],
    ["SSPL-1.0", true],
    ["(MIT OR GPL-3.0)", false],
    ["(MIT AND GPL-3.0)", true],
    ["(GPL-2.0 OR AGPL-3.0)", true],
    ["(MIT OR (Apache-2.0 AND GPL-3.0))", false],
    ["((Apache-2.0 AND GPL-3.0) OR SSPL-1.0)", true],
    ["Apache-2.0 AND LGPL-3.0", false],
    ["GNU GPL v3", true],
    ["SEE LICENSE IN LICENSE.txt", false],
    ["UNLICENSED", false],
    ["unknown", false],
    ["", false],
  ])("%j: %s", (licence, expected) => {
    expect(forbidden(licence)).toBe(expected);
  });

  it("reads old npm licence objects and arrays (an array is a choice)", () => {
    expect(npmLicenceField({ type: "MIT", url: "https://example.test/MIT" })).toBe("MIT");
    expect(npmLicenceField(undefined, [{ type: "MIT" }, { type: "GPL-2.0" }])).toBe("(MIT OR GPL-2.0)");
    expect(forbidden(npmLicenceField(undefined, [{ type: "MIT" }, { type: "GPL-2.0" }])!)).toBe(false);
    expect(npmLicenceField(undefined, undefined)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The guard fails: a made-up AGPL module served by a local file:// module proxy, and npm lockfile fixtures.

/** A zip with stored (uncompressed) entries: all a Go module zip needs. */
function zip(entries: Array<[string, string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const data = Buffer.from(text);
    const nameBuf = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Publishes module@version into a GOPROXY=file:// tree: list, .info, .mod and .zip under the escaped path. */
function publish(proxy: string, module: string, version: string, goMod: string, files: Record<string, string>): void {
  const dir = path.join(proxy, module.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`), "@v");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "list"), `${version}\n`);
  fs.writeFileSync(path.join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: "2024-01-01T00:00:00Z" }));
  fs.writeFileSync(path.join(dir, `${version}.mod`), goMod);
  const prefix = `${module}@${version}/`;
  fs.writeFileSync(path.join(dir, `${version}.zip`), zip([["go.mod", goMod], ...Object.entries(files)].map(([n, t]) => [prefix + n, t])));
}

describe("the guard fails on a forbidden licence", () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let wrapper: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-licences-"));
    const proxy = path.join(tmp, "proxy");
    publish(proxy, "example.test/agpl-lib", "v1.0.0", "module example.test/agpl-lib\n\ngo 1.22\n", {
      LICENSE: fixture("agpl-3.0-preamble.txt"),
      "agpl.go": "package agpl\n",
    });
    publish(proxy, "example.test/mit-lib", "v1.2.0", "module example.test/mit-lib\n\ngo 1.22\n\nrequire example.test/agpl-lib v1.0.0\n", {
      "LICENSE.md": fixture("mit.txt"),
      "mit.go": 'package mit\n\nimport _ "example.test/agpl-lib"\n',
    });
    // Upper-case letters: "!l" in the proxy and the module cache. COPYING + COPYING.LESSER is the LGPL.
    publish(proxy, "example.test/Lesser-Lib", "v0.1.0", "module example.test/Lesser-Lib\n\ngo 1.22\n", {
      COPYING: fixture("gpl-3.0-head.txt"),
      "COPYING.LESSER": "GNU LESSER GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n",
      "lesser.go": "package lesser\n",
    });
    const base = {
      ...process.env,
      GOPROXY: `file://${proxy}`,
      GOSUMDB: "off",
      GONOSUMDB: "example.test",
      GOPRIVATE: "",
      GONOPROXY: "",
      GOFLAGS: "-mod=mod",
      GOTOOLCHAIN: "local",
    };
    wrapper = path.join(tmp, "wrapper");
    fs.mkdirSync(wrapper);
    fs.writeFileSync(path.join(wrapper, "go.mod"), "module example.test/wrapper\n\ngo 1.22\n");
    fs.writeFileSync(path.join(wrapper, "tools.go"), '//go:build tools\n\npackage tools\n\nimport (\n\t_ "example.test/Lesser-Lib"\n\t_ "example.test/mit-lib"\n)\n');
    // go.sum is written by `go mod tidy` with a module cache of its own; the scan starts from an empty one, so
    // it downloads all three through the file:// proxy. Neither touches the real module cache.
    execFileSync("go", ["mod", "tidy"], { cwd: wrapper, env: { ...base, GOMODCACHE: path.join(tmp, "tidy-cache") }, stdio: "pipe" });
    env = { ...base, GOMODCACHE: path.join(tmp, "scan-cache") };
  }, 120_000);

  afterAll(() => {
    if (!tmp) return;
    // The module cache is read-only; go clean empties it.
    for (const cache of ["tidy-cache", "scan-cache"]) {
      if (fs.existsSync(path.join(tmp, cache))) execFileSync("go", ["clean", "-modcache"], { env: { ...env, GOMODCACHE: path.join(tmp, cache) }, stdio: "pipe" });
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("reports example.test/agpl-lib v1.0.0 as AGPL-3.0, forbidden, with the requirement path", async () => {
    expect(goSumModules(fs.readFileSync(path.join(wrapper, "go.sum"), "utf8"))).toEqual([
      { module: "example.test/Lesser-Lib", version: "v0.1.0" },
      { module: "example.test/agpl-lib", version: "v1.0.0" },
      { module: "example.test/mit-lib", version: "v1.2.0" },
    ]);
    const found = await goModuleLicences(wrapper, { env });
    const scanCache = path.join(tmp, "scan-cache");
    expect(found.map((m) => [m.module, m.version, m.licence, m.forbidden, m.downloaded, m.files, m.dir])).toEqual([
      ["example.test/Lesser-Lib", "v0.1.0", "LGPL-3.0", false, true, ["COPYING", "COPYING.LESSER"], path.join(scanCache, "example.test", "!lesser-!lib@v0.1.0")],
      ["example.test/agpl-lib", "v1.0.0", "AGPL-3.0", true, true, ["LICENSE"], path.join(scanCache, "example.test", "agpl-lib@v1.0.0")],
      ["example.test/mit-lib", "v1.2.0", "MIT", false, true, ["LICENSE.md"], path.join(scanCache, "example.test", "mit-lib@v1.2.0")],
    ]);
    expect(found[1].requiredBy).toEqual(["example.test/wrapper", "example.test/mit-lib@v1.2.0", "example.test/agpl-lib@v1.0.0"]);
    const line = `example.test/agpl-lib v1.0.0: AGPL-3.0 (required in ${wrapper}: example.test/wrapper → example.test/mit-lib@v1.2.0 → example.test/agpl-lib@v1.0.0; LICENSE)`;
    expect(offences(found, [])).toEqual([line]);
    expect(() => expectNoOffences(found, [])).toThrow(`forbidden licences (AGPL, GPL, SSPL):\n${line}\n`);
    // The real module cache was not touched.
    expect(fs.existsSync(path.join(goModCache(), "example.test"))).toBe(false);
    // A second scan finds everything in the cache.
    expect((await goModuleLicences(wrapper, { env })).map((m) => m.downloaded)).toEqual([false, false, false]);
  }, 120_000);

  it("reports AGPL, AND-with-GPL and SSPL-by-file npm packages; a choice including the GPL is allowed", () => {
    const dir = path.join(tmp, "npm");
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write(
      "package-lock.json",
      JSON.stringify({
        name: "fixture",
        lockfileVersion: 3,
        requires: true,
        packages: {
          "": { name: "fixture", version: "1.0.0", license: "Apache-2.0", dependencies: { "agpl-pkg": "1.0.0", "dual-pkg": "2.0.0", "see-pkg": "1.0.0", "old-pkg": "0.1.0", "gone-pkg": "3.0.0", "lgpl-pkg": "1.0.0" } },
          "node_modules/agpl-pkg": { version: "1.0.0", license: "AGPL-3.0-only" },
          "node_modules/dual-pkg": { version: "2.0.0", license: "(MIT OR GPL-3.0)", dependencies: { "both-pkg": "^1.0.0" } },
          "node_modules/dual-pkg/node_modules/both-pkg": { version: "1.1.0", license: "(MIT AND GPL-3.0)" },
          "node_modules/see-pkg": { version: "1.0.0", license: "SEE LICENSE IN LICENSE.txt" },
          "node_modules/old-pkg": { version: "0.1.0" },
          "node_modules/gone-pkg": { version: "3.0.0", dev: true },
          "node_modules/lgpl-pkg": { version: "1.0.0", license: "LGPL-2.1-or-later" },
        },
      }),
    );
    write("node_modules/see-pkg/LICENSE.txt", fixture("sspl-1.0-head.txt"));
    write("node_modules/old-pkg/package.json", JSON.stringify({ name: "old-pkg", version: "0.1.0", licenses: [{ type: "MIT" }, { type: "Apache-2.0" }] }));
    const lockfile = path.join(dir, "package-lock.json");
    const found = npmPackageLicences(lockfile);
    expect(found.map((p) => [p.name, p.version, p.licence, p.forbidden, p.source])).toEqual([
      ["fixture", "1.0.0", "Apache-2.0", false, "lock"],
      ["agpl-pkg", "1.0.0", "AGPL-3.0-only", true, "lock"],
      ["dual-pkg", "2.0.0", "(MIT OR GPL-3.0)", false, "lock"],
      ["both-pkg", "1.1.0", "(MIT AND GPL-3.0)", true, "lock"],
      ["see-pkg", "1.0.0", "SSPL-1.0", true, "licence file"],
      ["old-pkg", "0.1.0", "(MIT OR Apache-2.0)", false, "package.json"],
      ["gone-pkg", "3.0.0", "unknown", false, "none"],
      ["lgpl-pkg", "1.0.0", "LGPL-2.1-or-later", false, "lock"],
    ]);
    expect(found.find((p) => p.name === "gone-pkg")).toMatchObject({ dev: true, note: "no license field in the lock and the package is not installed" });
    expect(() => expectNoOffences([], found)).toThrow(`agpl-pkg 1.0.0: AGPL-3.0-only (${lockfile}`);
    expect(offences([], found)).toEqual([
      `agpl-pkg 1.0.0: AGPL-3.0-only (${lockfile}, node_modules/agpl-pkg, required by (root))`,
      `both-pkg 1.1.0: (MIT AND GPL-3.0) (${lockfile}, node_modules/dual-pkg/node_modules/both-pkg, required by dual-pkg@2.0.0)`,
      `see-pkg 1.0.0: SSPL-1.0 (${lockfile}, node_modules/see-pkg, required by (root); "SEE LICENSE IN LICENSE.txt": LICENSE.txt reads as SSPL-1.0)`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real check

const toolchainDir = path.join(projectRoot, "toolchain");
const wrappers = fs
  .readdirSync(toolchainDir)
  .filter((d) => fs.existsSync(path.join(toolchainDir, d, "go.sum")))
  .sort();
const lockfiles = [path.join(projectRoot, "package-lock.json"), path.join(projectRoot, "workload", "package-lock.json")];

describe("the project's Go modules and npm packages", () => {
  const go: GoModuleLicence[] = [];

  beforeAll(async () => {
    // One wrapper after another: each downloads what the module cache lacks (about 95 s for all of them cold).
    for (const w of wrappers) go.push(...(await goModuleLicences(path.join(toolchainDir, w))));
  }, 900_000);

  it("has a go.sum in every wrapper the set-up builds from", () => {
    expect(wrappers).toEqual(expect.arrayContaining(["docker-provider", "language-nodejs", "nats-server", "natscli", "pulumi", "toxiproxy"]));
  });

  it("scans every module of every go.sum, each read from the module cache", () => {
    const listed = wrappers.reduce((n, w) => n + goSumModules(fs.readFileSync(path.join(toolchainDir, w, "go.sum"), "utf8")).length, 0);
    expect(go.filter((m) => !m.note?.startsWith("local replacement")).length).toBe(listed);
    // A module that could not be downloaded would pass unread.
    expect(go.filter((m) => m.dir === undefined || /^(?:download failed|not downloaded)/.test(m.note ?? "")).map(describeGoModule)).toEqual([]);
  });

  it("has no Go module and no npm package under the AGPL, the GPL or the SSPL", () => {
    const npm = lockfiles.flatMap((f) => npmPackageLicences(f));
    expect(npm.length).toBeGreaterThan(400);
    expectNoOffences(go, npm);
  });

  it("leaves unknown only licences reviewed by hand", () => {
    // Unknown is not forbidden, but a new one needs a look (and a line here).
    const reviewed = new Set([
      // No licence file; its README puts the top level under "the Appdash License": the MIT text of
      // github.com/pulumi/appdash (same go.sum), and its web assets under their own (MIT, Apache-2.0) licences.
      "github.com/sourcegraph/appdash-data v0.0.0-20151005221446-73f23eafcf67",
      // syft's xz reader: its LICENSE puts every file "into the public domain" (a modified XZ Embedded).
      "github.com/xi2/xz v0.0.0-20171230120015-48954b6210f8",
      // Jaeger's: its README's title line says "(c) Blake Mizerany and Keith Rarick -- MIT LICENCE"; only
      // go-hostpool's tests import it (`go mod why`), so no built binary links it.
      "github.com/bmizerany/assert v0.0.0-20160611221934-b7ed37b82869",
      // The workload itself: part of this project, with no license field of its own.
      "cp3-workload 0.1.0",
    ]);
    const unknown = [
      ...go
        // build.sh makes docker-provider's ./_upstream; before the first build there is nothing to read.
        .filter((m) => m.licence === "unknown" && !/^local replacement \S+ is not there/.test(m.note ?? ""))
        .map((m) => [`${m.module} ${m.version}`, describeGoModule(m)]),
      ...lockfiles.flatMap((f) => npmPackageLicences(f)).filter((p) => p.licence === "unknown").map((p) => [`${p.name} ${p.version}`, describeNpmPackage(p)]),
    ];
    expect(unknown.filter(([key]) => !reviewed.has(key)).map(([, line]) => line)).toEqual([]);
  });

  it("reads the real multi-licence files in the module cache right", () => {
    const dir = (module: string) => go.find((m) => m.module === module)?.dir ?? "(not scanned)";
    const read = (module: string, file: string) => classifyLicenceText(fs.readFileSync(path.join(dir(module), file), "utf8"));
    // "at your option, under either: Apache-2.0, OR GPL-2.0-or-later", then both texts.
    expect(read("github.com/spdx/tools-golang", "LICENSE.code")).toBe("Apache-2.0 OR GPL-2.0");
    // The MPL-2.0 names the GPL, LGPL and AGPL as "Secondary Licenses".
    expect(read("github.com/go-sql-driver/mysql", "LICENSE")).toBe("MPL-2.0");
    // "Licensed under the Apache License, Version 2.0 (…) or the MIT license (…), at your option."
    expect(read("github.com/hexops/valast", "LICENSE")).toBe("Apache-2.0 OR MIT");
    expect(go.find((m) => m.module === "github.com/hexops/valast")?.licence).toBe("Apache-2.0 OR MIT");
    // The BSD text quoted with "> " in a Markdown-ish LICENSE.txt.
    expect(read("github.com/russross/blackfriday/v2", "LICENSE.txt")).toBe("BSD-2-Clause");
  });

  it("names each built tool's licence from the module cache", () => {
    const tool = (dir: string, pkg?: string) => toolLicence(path.join(toolchainDir, dir), pkg);
    expect(tool("pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")).toMatchObject({ licence: "Apache-2.0", forbidden: false, summary: "github.com/pulumi/pulumi/pkg/v3 v3.259.0: Apache-2.0" });
    expect(tool("nats-server", "github.com/nats-io/nats-server/v2").licence).toBe("Apache-2.0");
    expect(tool("natscli", "github.com/nats-io/natscli/nats").licence).toBe("Apache-2.0");
    expect(tool("toxiproxy", "github.com/Shopify/toxiproxy/v2/cmd/server").licence).toBe("MIT");
    expect(tool("language-nodejs").parts.slice(0, 2)).toEqual([
      { module: "cp3-testbed/toolchain/language-nodejs", version: "(this project)", licence: "Apache-2.0" },
      { module: "github.com/pulumi/pulumi/sdk/v3", version: "v3.259.0", licence: "Apache-2.0" },
    ]);
    expect(tool("docker-provider").parts[1]).toEqual({ module: "github.com/pulumi/pulumi-terraform-bridge/v3", version: "v3.124.0", licence: "Apache-2.0" });
  });
});
