// One source of truth for pins: versions.json. The wrapper modules, package.json and README must agree with it.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { goTools, versions } from "../../toolchain/tools";

const read = (...p: string[]) => fs.readFileSync(path.join(projectRoot, ...p), "utf8");
const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };

describe("pinned versions", () => {
  it("pins the Pulumi SDK to the CLI's version and @pulumi/docker to the provider plugin's", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toBe(versions.pulumi.version);
    expect(pkg.dependencies["@pulumi/docker"]).toBe(versions.dockerProvider.version);
    const installed = JSON.parse(read("node_modules", "@pulumi", "docker", "package.json")) as { pulumi: { version: string } };
    expect(installed.pulumi.version).toBe(versions.dockerProvider.version);
  });

  it("pins @pulumi/kubernetes to the kubernetes provider plugin's version, and its wrapper to the module it is built from", () => {
    const k = versions.kubernetesProvider;
    expect(pkg.dependencies[k.npmPackage]).toBe(k.version);
    const installed = JSON.parse(read("node_modules", "@pulumi", "kubernetes", "package.json")) as { pulumi: { name: string; version: string } };
    expect(installed.pulumi).toMatchObject({ name: "kubernetes", version: k.version });
    const tool = goTools.find((t) => t.id === "kubernetes-provider")!;
    expect(tool).toMatchObject({ version: k.version, plugin: "kubernetes", lazy: expect.any(String) });
    const goMod = read(path.relative(projectRoot, tool.moduleDir), "go.mod");
    expect(goMod).toMatch(new RegExp(`^require ${k.module.replace(/[.]/g, "\\.")} ${k.moduleVersion}$`, "m"));
  });

  it.each(goTools.filter((t) => t.goPackage !== undefined).map((t) => [t.id, t] as const))(
    "%s: the wrapper module requires the pinned version",
    (_id, tool) => {
      const goMod = read(path.relative(projectRoot, tool.moduleDir), "go.mod");
      const module = tool.id === "pulumi" ? versions.pulumi.module : tool.goPackage!.replace(/\/cmd\/[^/]+$|\/nats$/, "");
      const wanted = tool.version.startsWith("v") ? tool.version : `v${tool.version}`;
      expect(goMod).toMatch(new RegExp(`\\b${module.replace(/[.]/g, "\\.")} ${wanted.replace(/[.]/g, "\\.")}\\b`));
    },
  );

  it("lists every pinned version in the README", () => {
    const readme = read("README.md");
    for (const v of [versions.node.version, versions.pulumi.version, versions.dockerProvider.version, versions.kubernetesProvider.version, versions.kubernetesProvider.moduleVersion, versions.natsServer.version, versions.natsCli.version, versions.toxiproxy.version, versions.debian.suite]) {
      expect(readme).toContain(v);
    }
  });
});
