// The orders example (examples/orders-py/system.yaml) on the Kubernetes testbed under Pulumi's mocks: its own
// database and migration, one Dockerfile built per service, the command as the container's args, probes as exec.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { loadSpecFile } from "../../testbed/load";
import type { MockRegistry } from "./mock-registry";
import { declareKubernetesTestbed, envOf, K, nonExecProbes, podTemplates, restrictedProblems } from "./kubernetes-harness";

const spec = loadSpecFile(path.join(projectRoot, "examples", "orders-py", "system.yaml"));
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("the Kubernetes testbed (orders example)", () => {
  let registry: MockRegistry;
  let outputs: Obj;
  let password: string;
  const pod = (name: string): Obj => (registry.one(K.deployment, `${name}-deployment`).inputs.spec as Obj).template.spec;

  beforeAll(async () => {
    ({ registry, outputs } = await declareKubernetesTestbed("k8s-orders", spec));
    password = registry.one("pulumi:index:Stash", "postgres-password-stash").inputs.input as string;
  });

  it("declares the orders system's workloads, Jobs and images", () => {
    expect(podTemplates(registry).map((p) => `${p.kind} ${p.name}`).sort()).toEqual(["Deployment orders-api", "Deployment orders-fulfil", "Deployment toxiproxy", "Job jetstream", "Job migration-orders", "StatefulSet nats", "StatefulSet postgres"]);
    expect(registry.byType(K.nodeImage).map((r) => r.name).sort()).toEqual(["node-migrate-orders", "node-nats", "node-postgres", "node-service-orders-api", "node-service-orders-fulfil", "node-toxiproxy"]);
    expect(registry.byType(K.service).map((r) => r.name).sort()).toEqual(["nats-0", "nats-governing", "orders-api-entry", "orders-api-service", "orders-fulfil-service", "postgres-service", "toxiproxy-host", "toxiproxy-links"]);
    expect(envOf((registry.one(K.job, "migration-orders-job").inputs as Obj).spec.template.spec)).toContainEqual({ name: "PGDATABASE", value: "orders" });
  });

  it("makes every pod restricted, with exec probes only, and no literal password", () => {
    for (const p of podTemplates(registry)) {
      expect(restrictedProblems(p.name, p.spec)).toEqual([]);
      expect(nonExecProbes(p.name, p.spec)).toEqual([]);
      expect(JSON.stringify(p.spec), p.name).not.toContain(password);
    }
    expect(pod("orders-fulfil").securityContext).toMatchObject({ runAsUser: 10011, runAsGroup: 10011, runAsNonRoot: true });
  });

  it("runs the description's command as the container's args (the image's entry point stays)", () => {
    const c = pod("orders-api").containers[0];
    expect(c.args).toEqual(["python3", "-m", "orders.api"]);
    expect(c.command).toBeUndefined();
    expect(pod("orders-fulfil").containers[0].args).toEqual(["python3", "-m", "orders.fulfil"]);
  });

  it("turns the http readiness check into exec probes on 127.0.0.1 inside the pod", () => {
    const c = pod("orders-fulfil").containers[0];
    const curl = ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:8000/readyz"];
    expect(c.readinessProbe).toEqual({ exec: { command: curl }, timeoutSeconds: 2, periodSeconds: 2, failureThreshold: 3, successThreshold: 1 });
    expect(c.startupProbe).toEqual({ exec: { command: curl }, timeoutSeconds: 2, periodSeconds: 2, failureThreshold: 30 });
    // No health check described: no liveness probe (nothing restarts the container on a check).
    expect(c.livenessProbe).toBeUndefined();
  });

  it("wires PostgreSQL by ClusterIP through Toxiproxy, the user literal and the password as a file from the Secret", () => {
    const env = envOf(pod("orders-api"));
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.PG_PASSWORD_FILE).toEqual({ name: "PG_PASSWORD_FILE", value: "/run/secrets/postgres-password" });
    expect(pod("orders-api").volumes).toContainEqual({ name: "secrets", secret: { secretName: "service-secrets", defaultMode: 0o440, items: [{ key: "postgres-password", path: "postgres-password" }] } });
    expect(byName.PG_USER!.value).toBe("postgres");
    expect(byName.PG_PORT!.value).toBe("15432");
    expect(byName.PG_HOST!.value).toMatch(/^10\.96\.0\.\d+$/);
    expect(byName.NATS_URL!.value).toBe(`nats://${byName.PG_HOST!.value}:14222`);
    expect(byName.PG_DATABASE!.value).toBe("orders");
  });

  it("publishes orders-api (the entry) on a NodePort and reports it on 127.0.0.1", () => {
    expect((registry.one(K.service, "orders-api-entry").inputs as Obj).spec).toMatchObject({ type: "NodePort", ports: [{ name: "entry", port: 8000, targetPort: 8000 }] });
    expect(outputs.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
    expect(outputs.containers).toMatchObject({ "orders-api": ["orders-api"], "orders-fulfil": ["orders-fulfil"], nats: ["nats"] });
    expect(outputs.roles).toMatchObject({ entry: ["orders-api"], consumer: ["orders-fulfil"] });
  });

  it("allows only the wired paths: both services to Toxiproxy, the entry from anywhere, the migration to PostgreSQL", () => {
    const policy = (n: string) => registry.one(K.networkPolicy, `network-policies-${n}`).inputs.spec as Obj;
    expect(registry.byType(K.networkPolicy).map((r) => r.name).sort()).toEqual(
      ["default-deny", "allow-jetstream", "allow-migration-orders", "allow-nats", "allow-orders-api", "allow-orders-fulfil", "allow-postgres", "allow-toxiproxy"].map((n) => `network-policies-${n}`).sort(),
    );
    expect(policy("allow-orders-api").ingress).toEqual([{ ports: [{ protocol: "TCP", port: 8000 }] }]);
    expect(policy("allow-orders-fulfil").ingress).toBeUndefined();
    expect(policy("allow-postgres").ingress).toContainEqual({ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "migration-orders" } } }], ports: [{ protocol: "TCP", port: 5432 }] });
  });
});
