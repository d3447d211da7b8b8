// A Pulumi program of your own that declares the CP3 testbed with the cp3-testbed package: the reference
// workload with one change of its own, three workers instead of two.
import * as pulumi from "@pulumi/pulumi";
import { Testbed, debianRootImage, hostBuildOffer, referenceWorkload, validateSpec } from "cp3-testbed";

const reference = referenceWorkload();
const spec = validateSpec({
  ...reference,
  services: reference.services.map((s) => (s.name === "worker" ? { ...s, replicas: 3 } : s)),
});

// Everything the testbed creates is named and labelled after owner.stack: make it unique on the engine.
const owner = { stack: `${pulumi.getProject()}-${pulumi.getStack()}`, run: pulumi.getStack(), expires: "" };
const testbed = new Testbed("testbed", { owner, spec, rootImage: debianRootImage(), hostOffer: hostBuildOffer() });

export const entryUrl = testbed.outputs.gatewayUrl;
export const workers = testbed.outputs.containers.apply((c) => c.worker);
