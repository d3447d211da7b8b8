// `pulumi up` previews first; in a preview the cluster has assigned no ClusterIP and no node port yet, and the
// program must still declare the whole testbed (cp3's Automation API skips the preview, a user's `pulumi up`
// does not). Before an address exists, the wiring and the URLs carry placeholders the update replaces.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { parseConfig } from "../../stacks/config";
import { referenceWorkload } from "../../testbed/presets/reference";
import { validateSpec } from "../../testbed/validate";
import { declareKubernetesTestbed, K } from "./kubernetes-harness";

const spec = validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "staging", "cp3:nats": JSON.stringify({ replicas: 3 }) }, "staging"), path.join(projectRoot, "workload")), "reference workload");

describe("the Kubernetes testbed in a preview", () => {
  it("declares every workload before the cluster assigned any address, with placeholder URLs", async () => {
    const { registry, outputs } = await declareKubernetesTestbed("staging", spec, {}, true);
    expect(registry.byType(K.deployment).map((r) => r.name).sort()).toEqual(["gateway-deployment", "toxiproxy-server", "worker-deployment"]);
    expect(registry.byType(K.statefulSet).length).toBe(2);
    expect(outputs.gatewayUrl).toBe("http://127.0.0.1:0");
    expect(outputs.toxiproxyUrl).toBe("http://127.0.0.1:0");
  });
});
