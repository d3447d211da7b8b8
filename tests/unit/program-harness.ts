// Loads the Pulumi program under mocks with a fake toolchain; shared by the program tests (one program per
// file: vitest isolates files, and two programs in one process would overlap their registrations).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle, valueOf, type Recorded } from "./mock-registry";

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const IMAGE = "docker:index/remoteImage:RemoteImage";
export const VOLUME = "docker:index/volume:Volume";

export function fakeToolchain(): string {
  // The program copies binaries from the toolchain into build contexts; any files will do here.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-unit-bin-"));
  for (const name of ["nats-server", "nats", "toxiproxy-server", "node-image", "jaeger"]) fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n# ${name}\n`, { mode: 0o755 });
  return dir;
}

export const ciConfig = {
  "cp3:kind": "ci",
  "cp3:nats": JSON.stringify({ storeMiB: 128, memoryMiB: 384, cpus: 0.5 }),
  "cp3:jetstream": JSON.stringify({ maxBytesMiB: 100 }),
  "cp3:expires": "2026-11-24T12:00:00Z",
};

export async function loadProgram(stack: string, config: Record<string, string>) {
  process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
  const registry = await installMocks(stack, config);
  vi.resetModules();
  const program = await import("../../stacks/program");
  // Every export resolved, then the registrations they release (the components' outputs) settled: nothing of
  // this program is still pending when the next test installs its own mocks.
  await Promise.all(Object.values(program).filter((v) => pulumi.Output.isInstance(v)).map((v) => valueOf(v as pulumi.Output<unknown>)));
  await settle(registry);
  return { registry, program };
}

export const env = (r: Recorded) => r.inputs.envs as string[];
export const envValue = (r: Recorded, key: string) => env(r).find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1);

