// The cp3-testbed policy pack: mandatory, run on every `cp3 up` (and with `pulumi up --policy-pack policy`).
import * as docker from "@pulumi/docker";
import { PolicyPack, validateResourceOfType } from "@pulumi/policy";
import { containerViolations, type ContainerInputs } from "./rules";

new PolicyPack("cp3-hardening", {
  enforcementLevel: "mandatory",
  policies: [
    {
      name: "cp3-container-hardening",
      description: "Every testbed container is non-root, read-only, capability-free, limited, rotated, labelled and bound to 127.0.0.1 only.",
      validateResource: validateResourceOfType(docker.Container, (container, _args, reportViolation) => {
        for (const violation of containerViolations(container as unknown as ContainerInputs)) reportViolation(violation);
      }),
    },
    {
      name: "cp3-network-labelled",
      description: "Every testbed network carries the ownership labels, so nothing is left behind unnoticed.",
      validateResource: validateResourceOfType(docker.Network, (network, _args, reportViolation) => {
        const labels = new Set((network.labels ?? []).map((l) => l.label));
        for (const l of ["cp3.stack", "cp3.run"]) if (!labels.has(l)) reportViolation(`label ${l} is missing`);
      }),
    },
  ],
});
