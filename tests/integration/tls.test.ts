// TLS inside the testbed (issue 15), on a real engine: a ci stack with cp3:tls.enabled. NATS's /varz says TLS
// is required and a client without the stack's CA cannot connect; PostgreSQL refuses a plaintext TCP client,
// accepts verify-full against the CA by the name `postgres`, and while `cp3 verify` drives load every TCP
// session it holds (pg_stat_ssl) is encrypted; the run is READY with nothing lost.
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as docker from "../../lib/docker-api";
import { getJson } from "../../lib/http-probe";
import { sleep } from "../../lib/poll";
import { newRunId } from "../../lib/run-id";
import type { RunReport } from "../../reporting/model";
import { startCli } from "./cli-process";
import { upStackForFile } from "./stack-fixture";

const f = upStackForFile<{ natsMonitorUrl: string; containers: { nats: string[]; postgres: string }; tls: { enabled: boolean; caCert: string } }>(`ci-tls-${newRunId()}`, { "cp3:tls.enabled": { value: "true" } });
const name = f.name;

/** psql inside the PostgreSQL container, over TCP to `host`, with libpq's TLS settings. */
const psqlOver = (host: string, tls: string) =>
  docker.exec(f.outputs.containers.postgres, ["sh", "-c", `PGPASSWORD="$(cat /run/secrets/postgres-password)" psql -X -tA "host=${host} user=postgres dbname=postgres ${tls}" -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"`]);

describe("TLS inside the testbed", () => {
  it("has NATS require TLS, and a client without the stack's CA refused", async () => {
    expect(f.outputs.tls.enabled).toBe(true);
    expect(new X509Certificate(f.outputs.tls.caCert).subject).toBe(`CN=cp3 testbed CA ${name}`);
    const varz = await getJson<{ tls_required?: boolean }>(`${f.outputs.natsMonitorUrl}/varz`);
    expect(varz.body?.tls_required, JSON.stringify(varz.body).slice(0, 500)).toBe(true);
    const nats = f.outputs.containers.nats[0]!;
    const ping = (extra: string) => docker.exec(nats, ["sh", "-c", `HOME=/tmp USER=nats nats --server nats://nats-0:4222 ${extra} --timeout 5s account info >/dev/null 2>&1; echo "exit $?"`]);
    expect((await ping("--tlsca /run/secrets/tls-ca")).output.trim()).toBe("exit 0");
    expect((await ping("")).output.trim()).not.toBe("exit 0");
  });

  it("has PostgreSQL refuse plaintext TCP and accept verify-full by its name", async () => {
    const own = (await docker.exec(f.outputs.containers.postgres, ["hostname", "-i"])).output.trim().split(/\s+/)[0]!;
    const plain = await psqlOver(own, "sslmode=disable");
    expect(plain.exitCode).not.toBe(0);
    expect(plain.output).toMatch(/no encryption/);
    const verified = await psqlOver("postgres", "sslmode=verify-full sslrootcert=/run/secrets/tls-ca");
    expect(verified, verified.output).toEqual({ exitCode: 0, output: "t\n" });
    // The certificate does not cover the address: verify-full by address must fail.
    expect((await psqlOver(own, "sslmode=verify-full sslrootcert=/run/secrets/tls-ca")).output).toMatch(/does not match host name|server certificate for/);
  });

  it("proves the stack READY with every TCP session to PostgreSQL encrypted", async () => {
    const verify = startCli(["verify", "--stack", name, "--duration", "60s", "--rate", "50", "--report-dir", f.reportDir]);
    await verify.waitFor(/step load \(smoke\) with chaos \.\.\./, 300_000);
    await sleep(15_000);
    // Every TCP session, by client: each flow has sessions, and none of any client is unencrypted.
    const ssl = await docker.exec(f.outputs.containers.postgres, [
      "psql", "-X", "-d", "postgres", "-tA", "-F", "|", "-c",
      "SELECT a.application_name, count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.client_addr IS NOT NULL AND a.backend_type = 'client backend' GROUP BY 1 ORDER BY 1",
    ]);
    // A client without an application name has an empty first field: split on the separator, never on blanks.
    const rows = ssl.output.split("\n").filter((l) => l !== "").map((l) => l.split("|"));
    expect(rows.map((r) => r[0]), ssl.output).toEqual(expect.arrayContaining(["gateway", "worker-0", "worker-1"]));
    for (const [client, all, encrypted] of rows) expect(Number(encrypted), `${client}: ${encrypted} of ${all} sessions encrypted`).toBe(Number(all));
    const [all, encrypted] = rows.reduce(([a, e], r) => [a + Number(r[1]), e + Number(r[2])], [0, 0]);
    expect(await verify.exited, verify.output().slice(-4000)).toBe(0);
    const html = /^report: (.+report\.html)$/m.exec(verify.output())?.[1];
    const report = JSON.parse(fs.readFileSync(path.join(path.dirname(html!), "report.json"), "utf8")) as RunReport;
    expect(report.verdict).toBe("ready");
    expect(report.integrity).toMatchObject({ lost: [], duplicates: [], unexpected: [], passed: true });
    // The run's own watch saw the same: NATS requiring TLS, no plaintext session over the whole load.
    expect(report.transport).toMatchObject({ tls: true, nats: { servers: 1, tlsRequired: 1 }, postgres: { unencrypted: 0 } });
    console.log(`TLS: /varz tls_required true; pg_stat_ssl: ${encrypted} of ${all} TCP sessions encrypted during the load; ${report.integrity!.acknowledged} acknowledged, 0 lost`);
  }, 900_000);
});
