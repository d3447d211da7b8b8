// The dev form of the program under Pulumi's mocks.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTAINER, envValue, loadProgram } from "./program-harness";

describe("the dev program", () => {
  it("bind-mounts the flow code read-only and watches it on dev, with PostgreSQL on a named volume", async () => {
    const { registry } = await loadProgram("dev", { "cp3:kind": "dev", "cp3:dev": JSON.stringify({ hotReload: true }), "cp3:postgres": JSON.stringify({ storage: "volume", memoryMiB: 512 }), "cp3:gateway": JSON.stringify({ hostPort: 18080 }) });
    const gw = registry.one(CONTAINER, "gateway-0");
    expect(gw.inputs.mounts).toEqual([
      { type: "bind", source: path.resolve(__dirname, "../../workload/core"), target: "/app/core", readOnly: true },
      { type: "bind", source: path.resolve(__dirname, "../../workload/flows/gateway"), target: "/app/flows/gateway", readOnly: true },
    ]);
    expect(envValue(gw, "NODE_OPTIONS_EXTRA")).toBe("--watch");
    expect(gw.inputs.ports).toEqual([{ internal: 8080, ip: "127.0.0.1", external: 18080 }]);
    expect(registry.one("docker:index/volume:Volume", "postgres-data").inputs.name).toBe("cp3-dev-postgres-data");
    expect(registry.one(CONTAINER, "postgres-server").inputs.volumes).toEqual([{ volumeName: "cp3-dev-postgres-secrets", containerPath: "/run/secrets", readOnly: true }, { volumeName: "cp3-dev-postgres-data", containerPath: "/var/lib/postgresql/data" }]);
  });
});

