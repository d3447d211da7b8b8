// The Kubernetes testbed with TLS (Pulumi mocks): the same CA and server certificate as on Docker, the servers'
// files from Secrets, every client reaching the servers by the certificate's names (hostAliases to the
// ClusterIPs) and verifying them against the CA; and a description that cannot verify refused before any child.
import * as path from "node:path";
import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { parseConfig } from "../../stacks/config";
import { referenceWorkload } from "../../testbed/presets/reference";
import { validateSpec } from "../../testbed/validate";
import type { MockRegistry } from "./mock-registry";
import { declareKubernetesTestbed, envOf, K, podTemplates, restrictedProblems } from "./kubernetes-harness";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const specWith = (tls: boolean) => validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "ci", "cp3:tls": JSON.stringify({ enabled: tls }) }, "k8s-tls"), path.join(projectRoot, "workload")), "reference workload");

describe("the Kubernetes testbed with TLS", () => {
  let registry: MockRegistry;
  let outputs: Obj;
  const template = (type: string, name: string): Obj => (registry.one(type, name).inputs as Obj).spec.template as Obj;
  const value = (pod: Obj, name: string) => envOf(pod).find((e) => e.name === name)?.value;

  beforeAll(async () => {
    ({ registry, outputs } = await declareKubernetesTestbed("k8s-tls", specWith(true), { tls: true }));
  });

  it("makes the stack's CA and one server certificate for the names clients use, the key only in Secrets", () => {
    expect(registry.byType("cp3:secrets:TlsAuthority").map((r) => r.name)).toEqual(["tls"]);
    const natsTls = (registry.one(K.secret, "nats-tls").inputs as Obj).stringData as Record<string, string>;
    expect(Object.keys(natsTls).sort()).toEqual(["tls-ca", "tls-server-cert", "tls-server-key"]);
    const server = new X509Certificate(natsTls["tls-server-cert"]!);
    expect(server.verify(new X509Certificate(natsTls["tls-ca"]!).publicKey)).toBe(true);
    expect(server.subjectAltName).toBe("DNS:nats-0, DNS:toxiproxy, DNS:postgres, DNS:localhost, IP Address:127.0.0.1");
    expect(outputs.tls).toEqual({ enabled: true, caCert: natsTls["tls-ca"] });
    const pgSecret = (registry.one(K.secret, "postgres-password").inputs as Obj).stringData as Record<string, string>;
    expect(Object.keys(pgSecret).sort()).toEqual(["password", "tls-ca", "tls-server-cert", "tls-server-key"]);
  });

  it("has NATS require TLS and PostgreSQL take TCP clients over TLS, their files mounted read-only", () => {
    const nats = template(K.statefulSet, "nats-servers").spec as Obj;
    expect(value(nats, "NATS_CONFIG")).toContain('tls {\n  cert_file: "/run/secrets/tls-server-cert"\n  key_file: "/run/secrets/tls-server-key"\n  timeout: 2\n}');
    expect((nats.containers as Obj[])[0]!.volumeMounts).toContainEqual({ name: "secrets", mountPath: "/run/secrets", readOnly: true });
    const pg = template(K.statefulSet, "postgres-server").spec as Obj;
    expect([value(pg, "PG_TLS_CERT_FILE"), value(pg, "PG_TLS_KEY_FILE")]).toEqual(["/run/secrets/postgres/tls-server-cert", "/run/secrets/postgres/tls-server-key"]);
  });

  it("has every client reach the servers by the certificate's names, which each pod's /etc/hosts maps to the ClusterIPs", () => {
    // The servers' ClusterIPs as Toxiproxy's upstreams name them; Toxiproxy's own is the one left.
    const upstreams = Object.fromEntries((JSON.parse((registry.one(K.configMap, "toxiproxy-config").inputs as Obj).data["proxies.json"] as string) as { name: string; upstream: string }[]).map((p) => [p.name, p.upstream.split(":")[0]]));
    const clientAliases = (template(K.deployment, "gateway-deployment").spec as Obj).hostAliases as { ip: string; hostnames: string[] }[];
    const aliases = [
      { ip: clientAliases[0]!.ip, hostnames: ["toxiproxy"] },
      { ip: upstreams.postgres, hostnames: ["postgres"] },
      { ip: upstreams["nats-0"], hostnames: ["nats-0"] },
    ];
    for (const a of aliases) expect(a.ip, a.hostnames[0]).toMatch(/^10\.96\.0\.\d+$/);
    expect(new Set(aliases.map((a) => a.ip)).size).toBe(3);
    const clients = ["gateway-deployment", "worker-deployment"].map((n) => template(K.deployment, n).spec as Obj);
    const jobs = ["jetstream-job", "migration-job"].map((n) => template(K.job, n).spec as Obj);
    for (const pod of [...clients, ...jobs]) expect(pod.hostAliases).toEqual(aliases);
    // The servers themselves need no names.
    expect(template(K.statefulSet, "nats-servers").spec.hostAliases).toBeUndefined();
    for (const pod of clients) {
      expect([value(pod, "CONTAINER_NATS__URL"), value(pod, "CONTAINER_POSTGRES__HOST")]).toEqual(["nats://toxiproxy:14222", "toxiproxy"]);
      expect([value(pod, "CONTAINER_NATS__CA_FILE"), value(pod, "CONTAINER_POSTGRES__CA_FILE")]).toEqual(["/run/secrets/tls-ca", "/run/secrets/tls-ca"]);
      expect(((pod.volumes as Obj[]).find((v) => v.name === "secrets")!.secret as Obj).items).toContainEqual({ key: "tls-ca", path: "tls-ca" });
    }
    const [jetstream, migration] = jobs as [Obj, Obj];
    expect([value(jetstream, "NATS_URL"), value(jetstream, "NATS_CA_FILE")]).toEqual(["nats://nats-0:4222", "/run/secrets/tls-ca"]);
    expect(((jetstream.volumes as Obj[]).find((v) => v.name === "secrets")!.secret as Obj).items).toEqual([{ key: "tls-ca", path: "tls-ca" }]);
    expect([value(migration, "PGHOST"), value(migration, "PGSSLMODE"), value(migration, "PGSSLROOTCERT")]).toEqual(["postgres", "verify-full", "/run/secrets/tls-ca"]);
    // The migration gets the CA and the password from PostgreSQL's Secret, never the server's key.
    expect(((migration.volumes as Obj[]).find((v) => v.name === "secrets")!.secret as Obj).items).toEqual([{ key: "password", path: "postgres-password" }, { key: "tls-ca", path: "tls-ca" }]);
    const dsns = (registry.one(K.secret, "service-secrets").inputs as Obj).stringData as Record<string, string>;
    expect(dsns["postgres-dsn-proxied"]).toMatch(/^postgres:\/\/postgres:[^@]+@toxiproxy:15432\/postgres\?sslmode=verify-full&sslrootcert=\/run\/secrets\/tls-ca$/);
    expect(dsns["tls-ca"]).toBe(outputs.tls.caCert);
  });

  it("keeps every pod within the restricted profile", () => {
    for (const t of podTemplates(registry)) expect(restrictedProblems(t.name, t.spec), t.name).toEqual([]);
  });
});

describe("the Kubernetes testbed with TLS, given services that cannot verify", () => {
  it("refuses before creating any child, naming the services and the fix", async () => {
    await expect(declareKubernetesTestbed("k8s-tls-bad", specWith(false), { tls: true })).rejects.toThrow(
      "KubernetesTestbed testbed: TLS is on (cp3:tls.enabled, the default of ci stacks), but service(s) gateway, worker connect to NATS or PostgreSQL without wiring tls.ca",
    );
  });
});
