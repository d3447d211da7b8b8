// The Kubernetes testbed for the reference workload under Pulumi's mocks: exact child types, names and inputs.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { parseConfig } from "../../stacks/config";
import { referenceWorkload } from "../../testbed/presets/reference";
import { validateSpec } from "../../testbed/validate";
import type { MockRegistry } from "./mock-registry";
import { declareKubernetesTestbed, envOf, K, nonExecProbes, podTemplates, restrictedProblems } from "./kubernetes-harness";

const spec = validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "ci" }, "k8s-unit"), path.join(projectRoot, "workload")), "reference workload");
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("the Kubernetes testbed (reference workload)", () => {
  let registry: MockRegistry;
  let outputs: Obj;
  let password: string;
  const template = (type: string, name: string): Obj => (registry.one(type, name).inputs as Obj).spec.template as Obj;

  beforeAll(async () => {
    ({ registry, outputs } = await declareKubernetesTestbed("k8s-unit", spec));
    password = registry.one("pulumi:index:Stash", "postgres-password-stash").inputs.input as string;
  });

  it("declares exactly the testbed's resources, named from their components", () => {
    const images = ["nats", "toxiproxy", "postgres", "migrate", "base", "flow-gateway", "flow-worker"];
    const declared = registry.resources.map((r) => `${r.type} ${r.name}`).sort();
    expect(declared).toEqual(
      [
        "pulumi:providers:kubernetes k8s",
        "cp3:kubernetes:Testbed testbed",
        ...images.flatMap((i) => [`cp3:images:LocalImage ${i}`, `docker:index/remoteImage:RemoteImage ${i}-image`]),
        // Every image a pod runs, imported into the node once (the base image runs in no pod).
        ...images.filter((i) => i !== "base").map((i) => `${K.nodeImage} node-${i}`),
        "cp3:kubernetes:Namespace namespace",
        `${K.namespace} namespace-namespace`,
        "cp3:kubernetes:Nats nats",
        `${K.service} nats-governing`,
        `${K.service} nats-0`,
        `${K.statefulSet} nats-servers`,
        "cp3:secrets:RandomSecret postgres-password",
        "pulumi:index:Stash postgres-password-stash",
        "cp3:kubernetes:Postgres postgres",
        `${K.secret} postgres-password`,
        `${K.service} postgres-service`,
        `${K.statefulSet} postgres-server`,
        "cp3:kubernetes:Toxiproxy toxiproxy",
        `${K.configMap} toxiproxy-config`,
        `${K.deployment} toxiproxy-server`,
        `${K.service} toxiproxy-links`,
        `${K.service} toxiproxy-host`,
        "cp3:kubernetes:JetStreamJob jetstream",
        `${K.job} jetstream-job`,
        "cp3:kubernetes:MigrationJob migration",
        `${K.job} migration-job`,
        `${K.secret} service-secrets`,
        "cp3:kubernetes:NetworkPolicies network-policies",
        ...["default-deny", "allow-gateway", "allow-worker", "allow-nats", "allow-postgres", "allow-toxiproxy", "allow-jetstream", "allow-migration"].map((n) => `${K.networkPolicy} network-policies-${n}`),
        "cp3:kubernetes:Service gateway",
        `${K.deployment} gateway-deployment`,
        `${K.service} gateway-service`,
        `${K.service} gateway-entry`,
        "cp3:kubernetes:Service worker",
        `${K.deployment} worker-deployment`,
        `${K.service} worker-service`,
      ].sort(),
    );
  });

  it("creates the stack's namespace with Pod Security restricted (enforce, warn, audit; pinned) and ownership labels", () => {
    const meta = (registry.one(K.namespace, "namespace-namespace").inputs as Obj).metadata as Obj;
    expect(meta.name).toBe("cp3-k8s-unit");
    expect(meta.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.34",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.34",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.34",
      "app.kubernetes.io/part-of": "cp3-testbed",
      "cp3.component": "namespace",
      "cp3.stack": "k8s-unit",
      "cp3.run": "run-1",
    });
    // A label value cannot hold ':'; the expiry time is an annotation.
    expect(meta.annotations).toEqual({ "cp3.expires": "2026-11-24T12:00:00Z" });
    for (const r of registry.resources.filter((x) => x.type.startsWith("kubernetes:") && x.type !== K.namespace)) expect((r.inputs.metadata as Obj).namespace, r.name).toBe("cp3-k8s-unit");
  });

  it("makes every pod pass the restricted profile, labelled for the pipeline, with exec probes only", () => {
    const pods = podTemplates(registry);
    expect(pods.map((p) => `${p.kind} ${p.name}`).sort()).toEqual(["Deployment gateway", "Deployment toxiproxy", "Deployment worker", "Job jetstream", "Job migration", "StatefulSet nats", "StatefulSet postgres"]);
    for (const p of pods) {
      expect(restrictedProblems(p.name, p.spec)).toEqual([]);
      expect(nonExecProbes(p.name, p.spec)).toEqual([]);
      expect(p.labels).toEqual({ "app.kubernetes.io/name": p.name, "app.kubernetes.io/part-of": "cp3-testbed", "cp3.component": p.name, "cp3.stack": "k8s-unit", "cp3.run": "run-1" });
    }
    expect(template(K.deployment, "worker-deployment").spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10002, runAsGroup: 10002, fsGroup: 10002, seccompProfile: { type: "RuntimeDefault" } });
    // The restricted check itself refuses what it must.
    const bad = { containers: [{ name: "x", image: "x", securityContext: { runAsUser: 0 }, ports: [{ containerPort: 80, hostPort: 80 }] }], volumes: [{ name: "h", hostPath: { path: "/" } }], hostNetwork: true };
    expect(restrictedProblems("bad", bad).length).toBeGreaterThanOrEqual(8);
  });

  it("keeps JetStream on a memory-backed emptyDir with a size limit, and wires NATS by per-server ClusterIP", () => {
    const nats = template(K.statefulSet, "nats-servers");
    expect(nats.spec.volumes).toEqual([
      { name: "store", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
      { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    ]);
    expect(nats.spec.containers[0].volumeMounts).toEqual([{ name: "store", mountPath: "/data" }, { name: "run", mountPath: "/run/nats" }]);
    const conf = envOf(nats.spec).find((e) => e.name === "NATS_CONFIG")!.value!;
    // $$ is Kubernetes' escape for $: nats-server reads $CP3_POD_NAME from the environment.
    expect(conf).toContain("server_name: $$CP3_POD_NAME");
    expect(conf).toContain('store_dir: "/data"');
    expect(conf).not.toContain("cluster");
    const sts = (registry.one(K.statefulSet, "nats-servers").inputs as Obj).spec as Obj;
    expect(sts).toMatchObject({ replicas: 1, podManagementPolicy: "Parallel", serviceName: "nats" });
    expect(registry.one(K.service, "nats-0").inputs.spec).toMatchObject({ type: "ClusterIP", selector: { "app.kubernetes.io/name": "nats", "statefulset.kubernetes.io/pod-name": "nats-0" } });
    expect((registry.one(K.service, "nats-governing").inputs as Obj).spec).toMatchObject({ clusterIP: "None" });
  });

  it("mounts the password as a file from a Secret in every pod that needs it, and no pod spec holds it", () => {
    const secret = registry.one(K.secret, "postgres-password").inputs;
    expect(secret).toMatchObject({ type: "Opaque", stringData: { password } });
    const pg = template(K.statefulSet, "postgres-server").spec;
    expect(pg.volumes).toContainEqual({ name: "password", secret: { secretName: "postgres-password", defaultMode: 0o440 } });
    expect(pg.volumes).toContainEqual({ name: "data", emptyDir: { medium: "Memory", sizeLimit: "512Mi" } });
    expect(pg.containers[0].volumeMounts).toContainEqual({ name: "password", mountPath: "/run/secrets/postgres", readOnly: true });
    expect(pg.containers[0].command).toBeUndefined();
    expect(envOf(pg)).toContainEqual({ name: "POSTGRES_PASSWORD_FILE", value: "/run/secrets/postgres/password" });
    expect(envOf(pg).find((e) => e.name === "PGDATA")!.value).toBe("/var/lib/postgresql/data/pgdata");
    for (const p of podTemplates(registry)) expect(JSON.stringify(p.spec), p.name).not.toContain(password);
    expect(registry.one(K.secret, "service-secrets").inputs).toMatchObject({ type: "Opaque", stringData: { "postgres-password": password } });
    const fileFrom = (secretName: string, key: string) => ({ name: "secrets", secret: { secretName, defaultMode: 0o440, items: [{ key, path: "postgres-password" }] } });
    for (const w of ["gateway-deployment", "worker-deployment"]) {
      const spec = template(K.deployment, w).spec;
      expect(envOf(spec)).toContainEqual({ name: "CONTAINER_POSTGRES__PASSWORD_FILE", value: "/run/secrets/postgres-password" });
      expect(spec.volumes).toContainEqual(fileFrom("service-secrets", "postgres-password"));
    }
    const job = template(K.job, "migration-job").spec;
    expect(envOf(job)).toContainEqual({ name: "PGPASSWORD_FILE", value: "/run/secrets/postgres-password" });
    expect(job.volumes).toContainEqual(fileFrom("postgres-password", "password"));
    // No variable of any pod comes from a Secret.
    for (const p of podTemplates(registry)) expect(JSON.stringify(p.spec), p.name).not.toContain("secretKeyRef");
  });

  it("wires services through Toxiproxy's ClusterIP, and Toxiproxy to the servers' ClusterIPs", () => {
    const worker = envOf(template(K.deployment, "worker-deployment").spec);
    const value = (name: string) => worker.find((e) => e.name === name)?.value;
    expect(value("CONTAINER_NATS__URL")).toMatch(/^nats:\/\/10\.96\.0\.\d+:14222$/);
    expect(value("CONTAINER_POSTGRES__HOST")).toMatch(/^10\.96\.0\.\d+$/);
    expect(value("CONTAINER_POSTGRES__HOST")).toBe(value("CONTAINER_NATS__URL")!.slice("nats://".length, -":14222".length));
    expect(value("CONTAINER_POSTGRES__PORT")).toBe("15432");
    // {{instance}} is the pod's name, from the downward API.
    expect(worker[0]).toEqual({ name: "CP3_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    expect(value("CONTAINER_FLOW__INSTANCE")).toBe("$(CP3_POD_NAME)");
    const proxies = JSON.parse((registry.one(K.configMap, "toxiproxy-config").inputs as Obj).data["proxies.json"] as string) as { name: string; listen: string; upstream: string }[];
    expect(proxies.map((p) => `${p.name} ${p.listen}`)).toEqual(["nats-0 0.0.0.0:14222", "postgres 0.0.0.0:15432", "host-nats 0.0.0.0:24222", "host-nats-monitor 0.0.0.0:28222", "host-postgres 0.0.0.0:25432"]);
    for (const p of proxies) expect(p.upstream, p.name).toMatch(/^10\.96\.0\.\d+:(4222|8222|5432)$/);
    expect((registry.one(K.service, "toxiproxy-links").inputs as Obj).spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 14222 }, { port: 15432 }] });
    expect((registry.one(K.service, "toxiproxy-host").inputs as Obj).spec).toMatchObject({ type: "NodePort", ports: [{ name: "api", port: 8474 }, { port: 24222 }, { port: 28222 }, { port: 25432 }] });
  });

  it("publishes the entry and host access as NodePorts, read back into the outputs on 127.0.0.1", () => {
    expect((registry.one(K.service, "gateway-entry").inputs as Obj).spec).toEqual({ type: "NodePort", selector: { "app.kubernetes.io/name": "gateway" }, ports: [{ name: "entry", port: 8080, targetPort: 8080 }] });
    expect((registry.one(K.service, "worker-service").inputs as Obj).spec).toMatchObject({ type: "ClusterIP" });
    expect(outputs.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
    expect(outputs.toxiproxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
    expect(outputs.natsUrl).toMatch(/^nats:\/\/127\.0\.0\.1:3\d{4}$/);
    expect(outputs.natsMonitorUrl).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
    expect(outputs.postgresDsn).toBe(`postgres://postgres:${password}@127.0.0.1:${/:(\d+)\/postgres$/.exec(outputs.postgresDsn as string)![1]}/postgres`);
  });

  it("gives the same outputs shape as Docker, with workload names and the platform", () => {
    expect(outputs).toMatchObject({
      platform: "kubernetes",
      namespace: "cp3-k8s-unit",
      networks: { edge: "", data: "" },
      containers: { nats: ["nats"], postgres: "postgres", toxiproxy: "toxiproxy", gateway: ["gateway"], worker: ["worker"] },
      chaosProxies: { nats: ["nats-0"], postgres: "postgres", enabled: true },
      roles: { gateway: ["gateway"], entry: ["gateway"], worker: ["worker"], consumer: ["worker"] },
      stream: { name: "RECORDS", consumer: "workers" },
    });
    expect(Object.keys(outputs).sort()).toEqual(["chaosProxies", "containers", "gatewayUrl", "images", "namespace", "natsMonitorUrl", "natsUrl", "networks", "observability", "platform", "postgresDsn", "roles", "stream", "system", "tls", "toxiproxyUrl"]);
  });

  it("runs local images only, imported into the node's containerd", () => {
    const nodeImage = registry.one(K.nodeImage, "node-flow-worker").inputs;
    expect(nodeImage).toMatchObject({ ref: (outputs.images as Obj).services.worker, nodeRef: `docker.io/${(outputs.images as Obj).services.worker}`, address: "/run/cp3-k8s/containerd.sock" });
    expect(template(K.deployment, "worker-deployment").spec.containers[0]).toMatchObject({ image: (outputs.images as Obj).services.worker, imagePullPolicy: "Never" });
    // The provider's code is serialized into the state: it must capture none of the project's modules.
    const code = nodeImage.__provider as string;
    expect(code).toContain("getBuiltinModule");
    expect(code).not.toMatch(/require\(["']\.\.?\//);
  });

  it("gates services on the Jobs and the databases, hardens them with limits, requests and memory-backed tmpfs", () => {
    const worker = (registry.one(K.deployment, "worker-deployment").inputs as Obj).spec as Obj;
    expect(worker.replicas).toBe(2);
    const c = worker.template.spec.containers[0];
    expect(c.resources).toEqual({ limits: { memory: "256Mi", cpu: "500m" }, requests: { memory: "64Mi", cpu: "50m" } });
    expect(worker.template.spec.volumes).toEqual([
      { name: "tmp-0", emptyDir: { medium: "Memory", sizeLimit: "32Mi" } },
      // The span spool: on the node's disk, kept when the container restarts in its pod.
      { name: "kept-0", emptyDir: { sizeLimit: "64Mi" } },
      { name: "secrets", secret: { secretName: "service-secrets", defaultMode: 0o440, items: [{ key: "postgres-password", path: "postgres-password" }] } },
    ]);
    expect(c.volumeMounts).toEqual([{ name: "tmp-0", mountPath: "/tmp" }, { name: "kept-0", mountPath: "/var/spool/cp3-traces" }, { name: "secrets", mountPath: "/run/secrets", readOnly: true }]);
    expect(worker.template.spec).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false });
    const job = (registry.one(K.job, "jetstream-job").inputs as Obj).spec as Obj;
    expect(job).toMatchObject({ backoffLimit: 2, template: { spec: { restartPolicy: "Never" } } });
    expect(job.ttlSecondsAfterFinished).toBeUndefined();
    expect(JSON.parse(envOf(job.template.spec).find((e) => e.name === "STREAM_CONFIG")!.value!)).toMatchObject({ name: "RECORDS", num_replicas: 1, discard: "new" });
    expect(envOf(job.template.spec).find((e) => e.name === "NATS_URL")!.value).toMatch(/^nats:\/\/10\.96\.0\.\d+:4222$/);
  });

  it("declares default deny and exactly the paths the wiring implies", () => {
    const policy = (n: string) => registry.one(K.networkPolicy, `network-policies-${n}`).inputs.spec as Obj;
    expect(policy("default-deny")).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const sel = (n: string) => [{ podSelector: { matchLabels: { "app.kubernetes.io/name": n } } }];
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
    expect(policy("allow-worker")).toEqual({ podSelector: { matchLabels: { "app.kubernetes.io/name": "worker" } }, policyTypes: ["Egress"], egress: [{ to: sel("toxiproxy"), ports: tcp(14222) }, { to: sel("toxiproxy"), ports: tcp(15432) }] });
    expect(policy("allow-gateway").ingress).toEqual([{ ports: tcp(8080) }]);
    expect(policy("allow-toxiproxy").ingress).toEqual([
      { from: sel("gateway"), ports: tcp(14222) },
      { from: sel("gateway"), ports: tcp(15432) },
      { from: sel("worker"), ports: tcp(14222) },
      { from: sel("worker"), ports: tcp(15432) },
      { ports: tcp(8474, 24222, 25432, 28222) },
    ]);
    expect(policy("allow-nats").ingress).toEqual([{ from: sel("toxiproxy"), ports: tcp(4222, 8222) }, { from: sel("jetstream"), ports: tcp(4222) }]);
    expect(policy("allow-postgres").ingress).toEqual([{ from: sel("toxiproxy"), ports: tcp(5432) }, { from: sel("migration"), ports: tcp(5432) }]);
  });
});
