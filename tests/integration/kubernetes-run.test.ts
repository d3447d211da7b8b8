// The testbed on the real single-node cluster, the way a user drives it: `cp3 up` of a k8s-ci stack gives every
// pod Ready in a namespace with Pod Security restricted enforced and its NetworkPolicies declared; then the CP3
// run on that stack with two Kubernetes faults (a pod deleted through the API, a partition in the pods' network
// namespaces) is READY with nothing lost or duplicated, each fault verified removed, and the destroy leaves
// nothing of the stack. The cluster is started here (built on first use) and stopped at the end.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NetworkingV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeconfigPath } from "../../cluster";
import { leftovers } from "../../lifecycle/stacks";
import { kubeFrom } from "../../lib/kube-api";
import type { RunReport } from "../../reporting/model";
import { runCli } from "./cli-process";

const reportBase = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-k8s-run-"));
const stack = `k8s-ci-t${process.pid}`;
const namespace = `cp3-${stack}`;

beforeAll(async () => {
  const up = await runCli(["cluster", "up"], 3_600_000);
  expect(up.code, up.output.slice(-3000)).toBe(0);
}, 3_600_000);

afterAll(async () => {
  try {
    // Whatever a failed test left: the stack first, then the cluster (down also proves it leaves nothing).
    if ((await leftovers(stack)).length > 0) await runCli(["destroy", "--stack", stack], 600_000);
  } finally {
    const down = await runCli(["cluster", "down"], 300_000);
    fs.rmSync(reportBase, { recursive: true, force: true });
    expect(down.code, down.output.slice(-3000)).toBe(0);
  }
}, 900_000);

describe("the testbed on Kubernetes", () => {
  it("cp3 up: every pod Ready, Pod Security restricted enforced, default-deny NetworkPolicies declared", async () => {
    const up = await runCli(["up", "--stack", stack], 1_800_000);
    expect(up.code, up.output.slice(-4000)).toBe(0);
    expect(up.output).toMatch(/gatewayUrl: http:\/\/127\.0\.0\.1:\d+/);

    const kube = kubeFrom(kubeconfigPath());
    const ns = await kube.core.readNamespace({ name: namespace });
    expect(ns.metadata?.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "cp3.stack": stack });

    const pods = (await kube.core.listNamespacedPod({ namespace })).items.filter((p) => p.metadata?.labels?.["job-name"] === undefined);
    const byWorkload = new Set(pods.map((p) => p.metadata?.labels?.["app.kubernetes.io/name"]));
    expect([...byWorkload].sort()).toEqual(["gateway", "nats", "postgres", "toxiproxy", "worker"]);
    for (const p of pods) {
      const ready = p.status?.conditions?.find((c) => c.type === "Ready")?.status;
      expect(`${p.metadata?.name} Ready=${ready}`).toBe(`${p.metadata?.name} Ready=True`);
    }
    const deployments = (await kube.apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata?.name).sort();
    expect(deployments).toEqual(["gateway", "toxiproxy", "worker"]);
    const statefulSets = (await kube.apps.listNamespacedStatefulSet({ namespace })).items.map((d) => d.metadata?.name).sort();
    expect(statefulSets).toEqual(["nats", "postgres"]);

    const policies = await kube.config.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace });
    const denyAll = policies.items.find((p) => Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length === 0 && p.spec?.ingress === undefined && p.spec?.egress === undefined);
    expect(denyAll?.spec?.policyTypes?.sort()).toEqual(["Egress", "Ingress"]);
    expect(policies.items.length).toBeGreaterThan(3);
  }, 1_800_000);

  it("eviction and scale to zero through the API on that stack: each rolled back, the workload Ready again, verified", async () => {
    for (const experiment of ["worker-evict", "worker-scale-to-zero"]) {
      const r = await runCli(["chaos", "--stack", stack, "--experiment", experiment], 600_000);
      expect(r.code, r.output.slice(-3000)).toBe(0);
      expect(r.output).toMatch(new RegExp(`experiment ${experiment}: PASSED`));
      expect(r.output).toMatch(/: applied, removed: yes/);
    }
  }, 1_200_000);

  it("the CP3 run on that stack with a pod deleted and a pod partition is READY, nothing lost or duplicated, and leaves nothing", async () => {
    const r = await runCli(["run", "--stack", stack, "--duration", "90s", "--rate", "20", "--seed", "5", "--experiments", "worker-pod-delete,worker-nats-pod-partition", "--report-dir", reportBase], 1_800_000);
    expect(r.code, r.output.slice(-5000)).toBe(0);
    expect(r.output).toMatch(/^verdict: READY/m);
    const dir = path.dirname(/^report: (.+report\.html)$/m.exec(r.output)![1]!);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8")) as RunReport;
    expect(report.verdict).toBe("ready");
    expect(report.experiments.map((e) => [e.name, e.status]).sort()).toEqual([
      ["worker-nats-pod-partition", "passed"],
      ["worker-pod-delete", "passed"],
    ]);
    for (const e of report.experiments) for (const f of e.faults) expect(`${f.kind} removed=${f.removed} ${f.leftover ?? ""}`).toBe(`${f.kind} removed=true `);
    expect(report.integrity).toMatchObject({ lost: [], duplicates: [], unexpected: [], passed: true });
    expect(report.integrity!.acknowledged).toBeGreaterThan(1000);
    // k8s-ci stacks have the ci template's TLS: NATS required it and every PostgreSQL TCP session was encrypted.
    expect(report.transport).toMatchObject({ tls: true, nats: { servers: 1, tlsRequired: 1 }, postgres: { unencrypted: 0 } });
    expect(report.transport!.postgres.sessions).toBeGreaterThan(0);
    expect(await leftovers(stack)).toEqual([]);
  }, 1_800_000);
});
