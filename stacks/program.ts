// The Pulumi program: assembles the testbed for the selected stack from its validated configuration.
import * as pulumi from "@pulumi/pulumi";
import { LocalImage } from "../components/local-image";
import { Nats } from "../components/nats";
import { TestbedNetwork } from "../components/network";
import type { Ownership } from "../components/labels";
import { baseRootImage } from "../toolchain/rootfs";
import { stageContext, toolchainBinary } from "./build-context";
import { parseConfig } from "./config";

const config = parseConfig(pulumi.runtime.allConfig(), pulumi.getStack());
const owner: Ownership = { stack: pulumi.getStack(), run: config.run, expires: config.expires };

const natsContext = stageContext("nats", { "nats-server": toolchainBinary("nats-server") });
const natsImage = new LocalImage("nats", {
  repository: "cp3/nats",
  contextDir: natsContext.dir,
  contentHash: natsContext.hash,
  buildArgs: { BASE_IMAGE: baseRootImage().ref },
});

const data = new TestbedNetwork("data", { owner });

const nats = new Nats("nats", {
  owner,
  image: natsImage.ref,
  networkName: data.networkName,
  storeMiB: config.nats.storeMiB,
  memoryMiB: config.nats.memoryMiB,
  cpus: config.nats.cpus,
});

export const stackKind = config.kind;
export const dataNetwork = data.networkName;
export const natsUrl = nats.clientUrl;
export const natsMonitorUrl = nats.monitorUrl;
export const containers = { nats: nats.containerName };
