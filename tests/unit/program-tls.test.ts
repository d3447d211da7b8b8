// The ci program with cp3:tls.enabled (Pulumi mocks): a per-stack CA, one server certificate for every name a
// client uses, NATS and PostgreSQL requiring TLS, and every client (flows, jobs) given the CA as a file and told
// to verify; the keys only ever as holder uploads.
import { X509Certificate } from "node:crypto";
import * as path from "node:path";
import type { Output } from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { projectRoot } from "../../lib/paths";
import { installMocks, settle, valueOf, type MockRegistry } from "./mock-registry";
import { CONTAINER, ciConfig, envValue, fakeToolchain, loadProgram } from "./program-harness";

describe("the ci program with TLS on", () => {
  let registry: MockRegistry;
  beforeAll(async () => {
    ({ registry } = await loadProgram("ci-tls", { ...ciConfig, "cp3:tls": JSON.stringify({ enabled: true }) }));
  }, 60_000);

  const uploads = (holder: string) => Object.fromEntries((registry.one(CONTAINER, holder).inputs.uploads as { file: string; content: string; owner: string; permissions: string }[]).map((u) => [u.file, u]));

  it("makes the stack's CA and a server certificate for every name a client connects to", () => {
    expect(registry.byType("cp3:secrets:TlsAuthority").map((r) => r.name)).toEqual(["tls"]);
    const files = uploads("nats-tls-holder");
    const ca = new X509Certificate(files["/run/secrets/tls-ca"]!.content);
    const server = new X509Certificate(files["/run/secrets/tls-server-cert"]!.content);
    expect(ca.subject).toBe("CN=cp3 testbed CA ci-tls");
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe("DNS:nats-0, DNS:toxiproxy, DNS:postgres, DNS:localhost, IP Address:127.0.0.1");
    expect(files["/run/secrets/tls-server-key"]).toMatchObject({ owner: "10001", permissions: "0400" });
  });

  it("has NATS require TLS on its client port and PostgreSQL on TCP (hostssl)", () => {
    const conf = envValue(registry.one(CONTAINER, "nats-0"), "NATS_CONFIG")!;
    expect(conf).toContain('tls {\n  cert_file: "/run/secrets/tls-server-cert"\n  key_file: "/run/secrets/tls-server-key"\n  timeout: 2\n}');
    expect(registry.one(CONTAINER, "nats-0").inputs.volumes).toEqual([{ volumeName: "cp3-ci-tls-nats-tls", containerPath: "/run/secrets", readOnly: true }]);
    const pg = registry.one(CONTAINER, "postgres-server");
    expect([envValue(pg, "PG_TLS_CERT_FILE"), envValue(pg, "PG_TLS_KEY_FILE")]).toEqual(["/run/secrets/tls-server-cert", "/run/secrets/tls-server-key"]);
    expect(Object.keys(uploads("postgres-secrets-holder")).sort()).toEqual(["/run/secrets/postgres-password", "/run/secrets/tls-ca", "/run/secrets/tls-server-cert", "/run/secrets/tls-server-key"]);
    expect(uploads("postgres-secrets-holder")["/run/secrets/tls-server-key"]).toMatchObject({ owner: "10003", permissions: "0400" });
  });

  it("gives every client the CA as a file and has it verify the server", () => {
    const job = registry.one(CONTAINER, "jetstream-setup-run");
    expect(envValue(job, "NATS_CA_FILE")).toBe("/run/secrets/tls-ca");
    const migration = registry.one(CONTAINER, "migration-apply-run");
    expect([envValue(migration, "PGSSLMODE"), envValue(migration, "PGSSLROOTCERT")]).toEqual(["verify-full", "/run/secrets/tls-ca"]);
    for (const flow of ["gateway-0", "worker-0", "worker-1"]) {
      const c = registry.one(CONTAINER, flow);
      expect([envValue(c, "CONTAINER_NATS__CA_FILE"), envValue(c, "CONTAINER_POSTGRES__CA_FILE")], flow).toEqual(["/run/secrets/tls-ca", "/run/secrets/tls-ca"]);
    }
    const ca = uploads("nats-tls-holder")["/run/secrets/tls-ca"]!.content;
    for (const holder of ["jetstream-setup-secrets-holder", "migration-apply-secrets-holder", "gateway-secrets-holder", "worker-secrets-holder"]) {
      expect(uploads(holder)["/run/secrets/tls-ca"]?.content, holder).toBe(ca);
      expect(Object.keys(uploads(holder)), holder).not.toContain("/run/secrets/tls-server-key");
    }
  });
});

describe("tls.ca and the testbed's TLS setting", () => {
  const build = async (stack: string, specTls: boolean, tls: boolean) => {
    process.env.CP3_TOOLCHAIN_BIN = fakeToolchain();
    const registry = await installMocks(stack);
    vi.resetModules();
    const { Testbed } = await import("../../components/testbed");
    const { referenceWorkload } = await import("../../testbed/presets/reference");
    const { parseConfig } = await import("../../stacks/config");
    const { validateSpec } = await import("../../testbed/validate");
    // The reference description wires tls.ca into the flows when its settings say TLS.
    const spec = validateSpec(referenceWorkload(parseConfig({ "cp3:kind": "ci", "cp3:tls": JSON.stringify({ enabled: specTls }) }, stack), path.join(projectRoot, "workload")));
    const make = () => new Testbed("testbed", { owner: { stack, run: stack, expires: "" }, spec, rootImage: "cp3/debian:bookworm-x", tls });
    return { registry, make };
  };

  it("wires tls.ca as an empty value, with no CA file, on a testbed without TLS", async () => {
    const { registry, make } = await build("ci-noca", true, false);
    const testbed = make();
    await Promise.all(Object.values(testbed.outputs).map((o) => valueOf(o as Output<unknown>)));
    await settle(registry);
    const gateway = registry.one(CONTAINER, "gateway-0");
    expect([envValue(gateway, "CONTAINER_NATS__CA_FILE"), envValue(gateway, "CONTAINER_POSTGRES__CA_FILE")]).toEqual(["", ""]);
    const holder = (registry.one(CONTAINER, "gateway-secrets-holder").inputs.uploads as { file: string }[]).map((u) => u.file);
    expect(holder).toEqual(["/run/secrets/postgres-password"]);
    expect(registry.byType("cp3:secrets:TlsAuthority")).toEqual([]);
  });

  it("refuses, with TLS on, services that connect to NATS or PostgreSQL without tls.ca, before creating any child", async () => {
    const { registry, make } = await build("ci-unverified", false, true);
    expect(make).toThrow(
      "Testbed testbed: TLS is on (cp3:tls.enabled, the default of ci stacks), but service(s) gateway, worker connect to NATS or PostgreSQL without wiring tls.ca: add a variable such as CA_FILE: {from: tls.ca} and verify the servers with that CA (it is empty on stacks without TLS), or turn TLS off (cp3:tls.enabled false; `cp3 run --tls off`)",
    );
    expect(registry.resources.filter((r) => r.type !== "cp3:index:Testbed")).toEqual([]);
  });
});
