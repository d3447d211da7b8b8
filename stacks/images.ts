// The testbed's images, all built on the local engine from the Debian root: the service images, and the
// two-stage flow images (stage 1: the base with Node.js and the core library; stage 2: one flow's code).
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { LocalImage } from "../components/local-image";
import { baseRootImage } from "../toolchain/rootfs";
import { stageContext, toolchainBinary, workloadPath } from "./build-context";

export const FLOWS = ["gateway", "worker"] as const;
export type FlowName = (typeof FLOWS)[number];

export interface TestbedImages {
  nats: pulumi.Output<string>;
  toxiproxy: pulumi.Output<string>;
  postgres: pulumi.Output<string>;
  migrate: pulumi.Output<string>;
  base: pulumi.Output<string>;
  flows: Record<FlowName, pulumi.Output<string>>;
}

function image(name: string, contextImage: string, extra: Record<string, string>, buildArgs: Record<string, pulumi.Input<string>>): LocalImage {
  const context = stageContext(name, contextImage, extra);
  return new LocalImage(name, { repository: `cp3/${name}`, contextDir: context.dir, contentHash: context.hash, buildArgs });
}

/** Declares every image; `baseOverride` points the flows at a base image from the user's registry. */
export function declareImages(baseOverride: string): TestbedImages {
  const root = { BASE_IMAGE: baseRootImage().ref };
  const nats = image("nats", "nats", { "nats-server": toolchainBinary("nats-server"), nats: toolchainBinary("nats") }, root);
  const toxiproxy = image("toxiproxy", "toxiproxy", { "toxiproxy-server": toolchainBinary("toxiproxy-server") }, root);
  const postgres = image("postgres", "postgres", {}, root);
  const migrate = image("migrate", "migrate", { migrations: workloadPath("migrations") }, { POSTGRES_IMAGE: postgres.ref });

  let base: pulumi.Output<string>;
  if (baseOverride !== "") {
    base = pulumi.output(baseOverride);
  } else {
    const app: Record<string, string> = { node: toolchainBinary("node-image"), "app/core": workloadPath("core"), "app/package.json": workloadPath("package.json") };
    // Production dependencies of the core library, once it has some (installed into workload/node_modules).
    if (fs.existsSync(workloadPath("node_modules"))) app["app/node_modules"] = workloadPath("node_modules");
    base = image("base", "base", app, { ROOT_IMAGE: baseRootImage().ref }).ref;
  }
  const flows = Object.fromEntries(
    FLOWS.map((flow) => [flow, image(`flow-${flow}`, "flow", { code: workloadPath("flows", flow) }, { BASE_IMAGE: base, FLOW: flow }).ref]),
  ) as Record<FlowName, pulumi.Output<string>>;
  return { nats: nats.ref, toxiproxy: toxiproxy.ref, postgres: postgres.ref, migrate: migrate.ref, base, flows };
}
