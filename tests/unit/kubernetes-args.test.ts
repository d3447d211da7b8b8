// Bad arguments to the Kubernetes testbed: each is refused with an error naming the argument, before any child.
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { KubernetesTestbed, type KubernetesTestbedArgs } from "../../components/kubernetes/testbed";
import { containerdRef } from "../../components/kubernetes/node-image";
import { projectRoot } from "../../lib/paths";
import { parseConfig } from "../../stacks/config";
import { referenceWorkload } from "../../testbed/presets/reference";
import { validateSpec } from "../../testbed/validate";
import type { MockRegistry } from "./mock-registry";
import { installKubernetesMocks, owner } from "./kubernetes-harness";
import { fakeToolchain } from "./program-harness";

const spec = validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "ci" }, "k8s-args"), path.join(projectRoot, "workload")), "reference workload");

describe("the Kubernetes testbed's arguments", () => {
  let registry: MockRegistry;
  let provider: k8s.Provider;
  let n = 0;
  const args = (extra: Partial<KubernetesTestbedArgs>): KubernetesTestbedArgs => ({ owner: owner("k8s-args"), spec, rootImage: "cp3/debian:bookworm-0123456789ab", containerdAddress: "/run/cp3-k8s/containerd.sock", ...extra });
  const refused = (extra: Partial<KubernetesTestbedArgs>, withProvider = true) => {
    let message = "";
    try {
      new KubernetesTestbed(`bad-${n++}`, args(extra), withProvider ? { provider } : {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe("");
    return message;
  };

  beforeAll(async () => {
    process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
    registry = await installKubernetesMocks("k8s-args");
    provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
  });

  it("names each bad argument and the fix, before any child exists", async () => {
    expect(refused({ namespace: "Bad_Namespace" })).toMatch(/namespace is "Bad_Namespace"; give a DNS label/);
    expect(refused({ owner: { stack: "Big_Stack", run: "r", expires: "" } })).toMatch(/namespace: the default "cp3-Big_Stack" \(cp3-<owner.stack>\) is not a DNS label; give namespace/);
    expect(refused({ owner: { stack: "s", run: "a:b", expires: "" } })).toMatch(/owner.run is "a:b"/);
    expect(refused({ containerdAddress: "containerd.sock" })).toMatch(/containerdAddress is "containerd.sock"; give the node containerd's socket path/);
    expect(refused({ rootImage: "debian:12" })).toMatch(/rootImage is "debian:12"/);
    expect(refused({ entryNodePort: 8080 })).toMatch(/entryNodePort is 8080; give 0 \(cluster-picked\) or a port from 30000 to 32767/);
    expect(refused({}, false)).toMatch(/no Kubernetes provider; give opts.provider/);
    const taken = { ...spec, services: spec.services.map((s, i) => (i === 1 ? { ...s, name: "nats" } : s)) };
    expect(refused({ spec: taken })).toMatch(/spec.services\[1\].name "nats" is taken on Kubernetes/);
    const hot = { ...spec, services: spec.services.map((s, i) => (i === 0 ? { ...s, hotReload: [{ source: "/src", target: "/app" }] } : s)) };
    expect(refused({ spec: hot })).toMatch(/spec.services\[0\].hotReload: .*hostPath/);
    // Registrations are asynchronous: once they are through, only the provider and the testbeds themselves exist.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(registry.resources.map((r) => r.type).sort()).toEqual([...Array.from({ length: n }, () => "cp3:kubernetes:Testbed"), "pulumi:providers:kubernetes"]);
  });

  it("names images as containerd does after a docker save", () => {
    expect(containerdRef("cp3/nats:0123456789abcdef")).toBe("docker.io/cp3/nats:0123456789abcdef");
    expect(containerdRef("shop")).toBe("docker.io/library/shop:latest");
    expect(containerdRef("localhost:5000/a/b:1")).toBe("localhost:5000/a/b:1");
    expect(containerdRef("registry.example.com/a")).toBe("registry.example.com/a:latest");
  });
});
