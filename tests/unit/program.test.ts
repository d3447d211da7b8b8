// The program and its components under Pulumi's mocks: exact child types, names and inputs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { installMocks, valueOf, type MockRegistry } from "./mock-registry";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const IMAGE = "docker:index/remoteImage:RemoteImage";

function fakeToolchain(): string {
  // The program copies nats-server from the toolchain into the image's build context; any file will do here.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-unit-bin-"));
  fs.writeFileSync(path.join(dir, "nats-server"), "#!/bin/sh\n", { mode: 0o755 });
  return dir;
}

describe("the ci program", () => {
  let registry: MockRegistry;
  let program: typeof import("../../stacks/program");

  beforeAll(async () => {
    process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
    registry = await installMocks("ci-unit", {
      "cp3:kind": "ci",
      "cp3:nats": JSON.stringify({ storeMiB: 128, memoryMiB: 384, cpus: 0.5 }),
      "cp3:expires": "2026-11-24T12:00:00Z",
    });
    vi.resetModules();
    program = await import("../../stacks/program");
    await valueOf(program.natsUrl);
  });

  it("declares exactly the slice's resources, named from their components", () => {
    const declared = registry.resources.map((r) => `${r.type} ${r.name}`).sort();
    expect(declared).toEqual(
      [
        "cp3:images:LocalImage nats",
        `${IMAGE} nats-image`,
        "cp3:network:TestbedNetwork data",
        `${NETWORK} data-bridge`,
        "cp3:nats:Nats nats",
        `${CONTAINER} nats-server`,
      ].sort(),
    );
  });

  it("gives the data network a per-stack name and the ownership labels", () => {
    const net = registry.one(NETWORK, "data-bridge").inputs;
    expect(net.name).toBe("cp3-ci-unit-data");
    expect(net.driver).toBe("bridge");
    expect(net.labels).toEqual([
      { label: "cp3.stack", value: "ci-unit" },
      { label: "cp3.run", value: "ci-unit" },
      { label: "cp3.component", value: "network" },
      { label: "cp3.expires", value: "2026-11-24T12:00:00Z" },
    ]);
  });

  it("builds the NATS image locally, tagged by the build context's content hash, on the Debian root", () => {
    const image = registry.one(IMAGE, "nats-image").inputs;
    expect(image.name).toMatch(/^cp3\/nats:[0-9a-f]{16}$/);
    expect(image.keepLocally).toBe(true);
    const build = image.build as { context: string; buildArgs: Record<string, string> };
    expect(build.context).toMatch(/\.cp3\/contexts\/nats$/);
    expect(build.buildArgs.BASE_IMAGE).toMatch(/^cp3\/debian:bookworm-[0-9a-f]{12}$/);
    expect(fs.readdirSync(build.context).sort()).toEqual(["Dockerfile", "entrypoint.sh", "nats-server"]);
  });

  it("stores JetStream on a tmpfs mount of the configured size, owned by the non-root user", () => {
    const nats = registry.one(CONTAINER, "nats-server").inputs;
    expect(nats.tmpfs).toEqual({
      "/data": "rw,noexec,nosuid,size=128m,uid=10001,gid=10001,mode=0700",
      "/run/nats": "rw,noexec,nosuid,size=1m,uid=10001,gid=10001,mode=0700",
    });
    const config = (nats.envs as string[]).find((e) => e.startsWith("NATS_CONFIG="));
    expect(config).toContain('store_dir: "/data"');
    expect(config).toContain(`max_file_store: ${Math.floor(128 * 0.9) * 1024 * 1024}`);
  });

  it("hardens the NATS container", () => {
    const nats = registry.one(CONTAINER, "nats-server").inputs;
    expect(nats).toMatchObject({
      name: "cp3-ci-unit-nats",
      user: "10001:10001",
      readOnly: true,
      capabilities: { drops: ["ALL"], adds: [] },
      securityOpts: ["no-new-privileges:true"],
      memory: 384,
      cpus: "0.5",
      restart: "on-failure",
      maxRetryCount: 5,
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      privileged: false,
      wait: true,
    });
    expect(nats.networkMode).toBeUndefined();
    expect(nats.volumes).toBeUndefined();
  });

  it("publishes ports on 127.0.0.1 only, on host ports the engine picks", async () => {
    const nats = registry.one(CONTAINER, "nats-server").inputs;
    expect(nats.ports).toEqual([
      { internal: 4222, ip: "127.0.0.1" },
      { internal: 8222, ip: "127.0.0.1" },
    ]);
    expect(await valueOf(program.natsUrl)).toBe("nats://127.0.0.1:40000");
    expect(await valueOf(program.natsMonitorUrl)).toBe("http://127.0.0.1:40001");
  });

  it("joins the data network as `nats`", () => {
    const nats = registry.one(CONTAINER, "nats-server").inputs;
    expect(nats.networksAdvanced).toEqual([{ name: "cp3-ci-unit-data", aliases: ["nats"] }]);
  });
});

describe("the program with bad configuration", () => {
  it("declares nothing and names every bad key", async () => {
    process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
    const registry = await installMocks("ci-bad", { "cp3:kind": "qa", "cp3:nats": JSON.stringify({ storeMiB: 8 }) });
    vi.resetModules();
    await expect(import("../../stacks/program")).rejects.toThrow(
      [
        "invalid stack configuration (2 problems):",
        '  - cp3:kind: got "qa"; allowed: ci, dev, staging (required)',
        "  - cp3:nats.storeMiB: got 8; allowed: an integer from 16 to 65536",
      ].join("\n"),
    );
    expect(registry.resources).toEqual([]);
  });
});

describe("component argument checks", () => {
  it("rejects a NATS memory limit below its tmpfs store before creating any child", async () => {
    const registry = await installMocks("ci-args");
    vi.resetModules();
    const { Nats } = await import("../../components/nats");
    expect(
      () =>
        new Nats("nats", {
          owner: { stack: "ci-args", run: "ci-args", expires: "" },
          image: "img",
          networkName: "net",
          storeMiB: 256,
          memoryMiB: 256,
        }),
    ).toThrow("Nats nats: memoryMiB is 256 but the 256 MiB tmpfs store counts against it; give at least 320");
    expect(registry.byType(CONTAINER)).toEqual([]);
  });
});
