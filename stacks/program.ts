// The Pulumi program: reads the stack's validated settings, takes the system description (the reference
// workload by default, or a file named by `cp3:system`), and declares one Testbed from it.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Ownership } from "../components/labels";
import { Testbed } from "../components/testbed";
import { projectRoot } from "../lib/paths";
import { loadSpecFile } from "../testbed/load";
import { referenceWorkload } from "../testbed/presets/reference";
import { validateSpec } from "../testbed/validate";
import { baseRootImage } from "../toolchain/rootfs";
import { parseConfig } from "./config";

// Our language host hands over a stack with no settings at all as JSON null, on which allConfig() throws a
// bare TypeError; with an empty map instead, parseConfig names the command that generates the stack file.
const settings = process.env.PULUMI_CONFIG === "null" ? {} : pulumi.runtime.allConfig();
const config = parseConfig(settings, pulumi.getStack());
const owner: Ownership = { stack: pulumi.getStack(), run: config.run, expires: config.expires };
const spec = config.system === "" ? validateSpec(referenceWorkload(config, path.join(projectRoot, "workload")), "reference workload") : loadSpecFile(path.resolve(projectRoot, config.system));

const testbed = new Testbed("testbed", {
  owner,
  spec,
  rootImage: baseRootImage().ref,
  chaosProxy: config.chaos.proxy,
  entryHostPort: config.gateway.hostPort,
  baseImage: config.images.base,
});

export const stackKind = config.kind;
export const { platform, namespace, system, gatewayUrl, natsUrl, natsMonitorUrl, postgresDsn, toxiproxyUrl, chaosProxies, networks, containers, roles, stream, images } = testbed.outputs;
