// A description that exercises the Kubernetes wiring the presets do not: a three-server NATS cluster, two
// consumers, chaos.proxy off, a DSN, service URLs pointing both ways, a literal with '$', a local image shared by
// two services, PostgreSQL on a "volume", tcp and command checks.
import { beforeAll, describe, expect, it } from "vitest";
import { validateSpec } from "../../testbed/validate";
import type { MockRegistry } from "./mock-registry";
import { declareKubernetesTestbed, envOf, K, nonExecProbes, podTemplates, restrictedProblems } from "./kubernetes-harness";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const spec = validateSpec({
  name: "shop",
  nats: { replicas: 3, memoryMiB: 512, streams: [{ name: "S", subjects: ["s.>"] }], consumers: [{ stream: "S", name: "c_one" }, { stream: "S", name: "c_two" }] },
  postgres: { storage: "volume", databases: [{ name: "shop" }] },
  services: [
    { name: "api", image: { local: "shop:latest" }, ports: [{ port: 8000, entry: true }], env: { DSN_FILE: { from: "postgres.dsn" }, PRICES: { from: "service:prices.url" }, LIT: "cost $(HOME) $$ {{instance}}" }, health: { tcp: { port: 8000 } }, dependsOn: ["prices", "postgres"] },
    { name: "prices", image: { local: "shop:latest" }, ports: [{ port: 9000 }], env: { NATS: { from: "nats.url" }, API: { from: "service:api.url" } }, readiness: { command: ["/bin/ready", "$(x)"] }, dependsOn: ["nats"] },
  ],
  drive: { entry: "api", request: { method: "GET", path: "/" } },
});

describe("the Kubernetes testbed's wiring", () => {
  let registry: MockRegistry;
  const pod = (name: string): Obj => (registry.one(K.deployment, `${name}-deployment`).inputs.spec as Obj).template.spec;
  const env = (name: string) => Object.fromEntries(envOf(pod(name)).map((e) => [e.name, e]));

  beforeAll(async () => {
    ({ registry } = await declareKubernetesTestbed("k8s-wiring", spec, { chaosProxy: false, namespace: "shop-test" }));
  });

  it("clusters NATS by per-server ClusterIPs (no DNS), servers started in parallel, and never advertises pod addresses", () => {
    expect(registry.byType(K.service).filter((r) => /^nats-\d$/.test(r.name)).map((r) => r.name)).toEqual(["nats-0", "nats-1", "nats-2"]);
    const sts = (registry.one(K.statefulSet, "nats-servers").inputs as Obj).spec as Obj;
    expect(sts).toMatchObject({ replicas: 3, podManagementPolicy: "Parallel" });
    const conf = envOf(sts.template.spec).find((e) => e.name === "NATS_CONFIG")!.value!;
    const routes = [...conf.matchAll(/"nats:\/\/(10\.96\.0\.\d+):6222"/g)].map((m) => m[1]);
    expect(new Set(routes).size).toBe(3);
    expect(conf).toContain("no_advertise: true");
    expect(env("prices").NATS!.value).toBe(routes.map((ip) => `nats://${ip}:4222`).join(","));
  });

  it("names one Job per consumer as a DNS label, with stream replicas 3", () => {
    expect(registry.byType(K.job).map((r) => r.name).sort()).toEqual(["jetstream-c-one-job", "jetstream-c-two-job"]);
    const job = (registry.one(K.job, "jetstream-c-two-job").inputs as Obj).spec.template.spec as Obj;
    expect(JSON.parse(envOf(job).find((e) => e.name === "STREAM_CONFIG")!.value!).num_replicas).toBe(3);
  });

  it("mounts the DSN as a file from the services' Secret, directly to PostgreSQL with chaos.proxy off", () => {
    expect(env("api").DSN_FILE).toEqual({ name: "DSN_FILE", value: "/run/secrets/postgres-dsn" });
    expect(pod("api").volumes).toContainEqual({ name: "secrets", secret: { secretName: "service-secrets", defaultMode: 0o440, items: [{ key: "postgres-dsn-direct", path: "postgres-dsn" }] } });
    expect(pod("api").containers[0].volumeMounts).toContainEqual({ name: "secrets", mountPath: "/run/secrets", readOnly: true });
    const data = (registry.one(K.secret, "service-secrets").inputs as Obj).stringData as Record<string, string>;
    expect(data["postgres-dsn-direct"]).toMatch(/^postgres:\/\/postgres:[A-Za-z0-9_-]{32}@10\.96\.0\.\d+:5432\/postgres$/);
    // prices has no secret: no Secret volume.
    expect(pod("prices").volumes.map((v: Obj) => v.name)).not.toContain("secrets");
  });

  it("wires service URLs by ClusterIP in both directions (forward references too)", () => {
    const ip = (r: string | undefined) => /^http:\/\/(10\.96\.0\.\d+):\d+$/.exec(r ?? "")?.[1];
    expect(ip(env("api").PRICES!.value)).toBeDefined();
    expect(ip(env("prices").API!.value)).toBeDefined();
    expect(env("api").PRICES!.value).toMatch(/:9000$/);
    expect(env("prices").API!.value).toMatch(/:8000$/);
    expect(ip(env("api").PRICES!.value)).not.toBe(ip(env("prices").API!.value));
  });

  it("keeps literals literal ($ doubled for Kubernetes) and makes {{instance}} the pod's name", () => {
    expect(env("api").LIT!.value).toBe("cost $$(HOME) $$$$ $(CP3_POD_NAME)");
  });

  it("imports a local image once for both services, and runs it by its own reference", () => {
    expect(registry.byType(K.nodeImage).filter((r) => r.name.startsWith("node-local")).map((r) => r.inputs)).toEqual([expect.objectContaining({ ref: "shop:latest", nodeRef: "docker.io/library/shop:latest" })]);
    expect(pod("prices").containers[0].image).toBe("shop:latest");
  });

  it("keeps PostgreSQL's 'volume' on an on-disk emptyDir (no storage provisioner on the node)", () => {
    expect(((registry.one(K.statefulSet, "postgres-server").inputs as Obj).spec as Obj).template.spec.volumes).toContainEqual({ name: "data", emptyDir: { sizeLimit: "512Mi" } });
  });

  it("turns tcp and command checks into exec probes; health is liveness", () => {
    expect(pod("api").containers[0].livenessProbe.exec.command).toEqual(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000"]);
    expect(pod("api").containers[0].readinessProbe.exec.command).toEqual(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000"]);
    expect(pod("prices").containers[0].readinessProbe.exec.command).toEqual(["/bin/ready", "$(x)"]);
    for (const p of podTemplates(registry)) {
      expect(restrictedProblems(p.name, p.spec)).toEqual([]);
      expect(nonExecProbes(p.name, p.spec)).toEqual([]);
    }
  });

  it("allows the direct paths, both service URLs and the NATS routes", () => {
    const policy = (n: string) => registry.one(K.networkPolicy, `network-policies-allow-${n}`).inputs.spec as Obj;
    const to = (n: string, ...ports: number[]) => ({ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": n } } }], ports: ports.map((port) => ({ protocol: "TCP", port })) });
    expect(policy("api").egress).toEqual([to("postgres", 5432), to("prices", 9000)]);
    expect(policy("prices").egress).toEqual([to("nats", 4222), to("api", 8000)]);
    expect(policy("nats").egress).toEqual([to("nats", 6222)]);
    expect((registry.one(K.namespace, "namespace-namespace").inputs as Obj).metadata.name).toBe("shop-test");
  });
});
