// LocalImage's one child: the RemoteImage build it declares, with and without what the host offers (its CA bundle
// as the BuildKit secret ca-bundle, its proxy settings as build arguments).
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalImage } from "../../components/local-image";
import { buildLogDir } from "../../lib/paths";
import { installMocks, valueOf, type MockRegistry } from "./mock-registry";

const IMAGE = "docker:index/remoteImage:RemoteImage";
const base = { repository: "cp3/svc", contextDir: "/ctx", contentHash: "0123456789abcdef0123", buildArgs: { BASE_IMAGE: "cp3/debian:x" } };
let registry: MockRegistry;
beforeAll(async () => {
  registry = await installMocks("ci-unit-image");
});

describe("LocalImage", () => {
  it("offers the host's CA bundle as the secret ca-bundle and its proxy settings as build arguments", async () => {
    const image = new LocalImage("offered", { ...base, hostOffer: { caBundle: "/etc/ssl/certs/ca-certificates.crt", proxyArgs: { HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: "localhost" } } });
    await valueOf(image.ref);
    expect(registry.one(IMAGE, "offered-image").inputs).toEqual({
      name: "cp3/svc:0123456789abcdef",
      keepLocally: true,
      build: {
        context: "/ctx",
        dockerfile: "Dockerfile",
        buildArgs: { HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: "localhost", BASE_IMAGE: "cp3/debian:x" },
        label: { "cp3.image": "cp3/svc" },
        buildLogFile: path.join(buildLogDir("ci-unit-image"), "offered.log"),
        secrets: [{ id: "ca-bundle", src: "/etc/ssl/certs/ca-certificates.crt" }],
      },
    });
  });

  it("declares no secret when nothing is offered", async () => {
    const image = new LocalImage("plain", base);
    await valueOf(image.ref);
    const build = registry.one(IMAGE, "plain-image").inputs.build as Record<string, unknown>;
    expect(build).not.toHaveProperty("secrets");
    expect(build.buildArgs).toEqual({ BASE_IMAGE: "cp3/debian:x" });
  });

  it("refuses a CA bundle that is not an absolute path, and declares no image", async () => {
    expect(() => new LocalImage("relative", { ...base, hostOffer: { caBundle: "certs/ca.pem" } })).toThrow(/hostOffer\.caBundle "certs\/ca\.pem" must be an absolute path/);
    // Registrations are asynchronous: let any that were started finish before looking.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(registry.byType(IMAGE).map((r) => r.name)).not.toContain("relative-image");
  });
});
