// Rotating the PostgreSQL password under load (issue 15), on a real engine: `cp3 verify` drives 200 requests a
// second while `cp3 rotate-secret` runs from another process. The run must be READY with no failed request and
// nothing lost or duplicated; afterwards every reader's file holds the new password, the server refuses the
// old one, no server or service container was replaced, and every flow session PostgreSQL holds was opened
// after the rotation (the pools re-authenticated from the file; none of the old password is left). The
// monitoring's PostgreSQL exporter, which reads the file only at its start, was restarted: its sessions are new
// too and Prometheus sees PostgreSQL up.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { stackOutputs } from "../../lifecycle/stacks";
import * as docker from "../../lib/docker-api";
import { sleep } from "../../lib/poll";
import { PrometheusClient } from "../../lib/prometheus-api";
import { newRunId } from "../../lib/run-id";
import { HOLDER_LABEL } from "../../lib/secret-holders";
import type { RunReport } from "../../reporting/model";
import { runCli, startCli } from "./cli-process";
import { upStackForFile } from "./stack-fixture";

const RATE = 200;
const LOAD_SECONDS = 150;
/** The flows' pools close a connection this long after it opened (workload/core/db.ts maxLifetimeSeconds). */
const MAX_LIFETIME_SECONDS = 60;
// The monitoring stays on (its PostgreSQL exporter reads the password too); tracing is off. Its spans for every
// one of 200 requests a second cost about half the knee of these two cores (README, bench workload), and with
// the rotation's own update on the same cores the run's p95 crossed the 99 ms SLO once (CI at 2c748ac: 111 ms),
// which this test, about failed requests and lost records, does not judge.
const f = upStackForFile<{ containers: { postgres: string; gateway: string[]; worker: string[] }; observability: { prometheusUrl: string } }>(`ci-rot-${newRunId()}`, {
  "cp3:observability.tracing": { value: "false" },
});
const name = f.name;

const passwordOf = async () => decodeURIComponent(new URL((await stackOutputs(f.stack, true)).postgresDsn as string).password);
const idsOf = async (names: string[]) => Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await docker.inspectContainer(n)).Id] as const)));
const holderIds = async () => (await docker.containersWithLabels({ "cp3.stack": name, ...HOLDER_LABEL })).map((c) => c.Id).sort();
const psqlAs = (password: string) => docker.exec(f.outputs.containers.postgres, ["psql", "-X", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", "SELECT 1"], 30_000, [`PGPASSWORD=${password}`]);

describe("cp3 rotate-secret postgres", () => {
  it(`rotates the password at ${RATE}/s with no failed request, nothing lost, and no container but the holders replaced`, async () => {
    const containers = f.outputs.containers;
    // The monitoring's PostgreSQL exporter (on in ci stacks) reads the password too.
    const exporter = `cp3-${name}-postgres-exporter`;
    const readers = [containers.postgres, ...containers.gateway, ...containers.worker, exporter];
    const old = await passwordOf();
    const [readersBefore, holdersBefore] = [await idsOf(readers), await holderIds()];
    // Those of postgres, the migration, the gateway, the worker and the PostgreSQL exporter hold the password;
    // with TLS (on in ci stacks) those of the NATS certificate and the JetStream set-up's CA do not.
    expect(holdersBefore).toHaveLength(7);

    const verify = startCli(["verify", "--stack", name, "--profile", "smoke", "--rate", String(RATE), "--duration", `${LOAD_SECONDS}s`, "--report-dir", f.reportDir]);
    await verify.waitFor(/step load \(smoke\) with chaos \.\.\./, 300_000);
    await sleep(10_000);
    const rotationStarted = Date.now();
    const rotation = await runCli(["rotate-secret", "--stack", name, "postgres"], 300_000);
    expect(rotation.code, rotation.output.slice(-3000)).toBe(0);
    expect(rotation.output).toMatch(/^rotated postgres of ci-rot-[a-z0-9-]+: 5 file\(s\) in /m);
    expect(rotation.output).toMatch(/; restarted \(they read it only at their start\): cp3-ci-rot-[a-z0-9-]+-postgres-exporter;/);
    const rotationSeconds = (Date.now() - rotationStarted) / 1000;
    // Its steps with their times, and what the update changed: where the time went, when it is too long.
    console.log(rotation.output.split("\n").filter((l) => /\] step |^rotated| (replac|updat|creat|delet)[a-z]* \(/.test(l)).join("\n"));
    expect(rotationSeconds, "the rotation must end well inside the load").toBeLessThan(LOAD_SECONDS - MAX_LIFETIME_SECONDS - 20);

    // Once every pool has had its connections' lifetime since the rotation, while the load still runs: each
    // flow holds sessions, all opened after the rotation began.
    await sleep(rotationStarted + (MAX_LIFETIME_SECONDS + 5) * 1000 - Date.now());
    const sessions = await docker.exec(containers.postgres, [
      "psql", "-X", "-d", "postgres", "-tA", "-F", " ", "-c",
      `SELECT application_name, count(*), count(*) FILTER (WHERE backend_start < to_timestamp(${rotationStarted / 1000})) FROM pg_stat_activity WHERE application_name IN (${[...containers.gateway, ...containers.worker, exporter].map((c) => `'${c.slice(`cp3-${name}-`.length)}'`).join(", ")}) GROUP BY 1 ORDER BY 1`,
    ]);
    expect(sessions.exitCode, sessions.output).toBe(0);
    const rows = sessions.output.trim().split("\n").map((l) => l.split(" "));
    expect(rows.map((r) => r[0]), sessions.output).toEqual(["gateway", "postgres-exporter", "worker-0", "worker-1"]);
    for (const [flow, all, older] of rows) {
      expect(Number(all), flow).toBeGreaterThan(0);
      expect(Number(older), `${flow}: sessions opened before the rotation`).toBe(0);
    }
    // The exporter's every collector succeeded in each scrape of the last 30 s: with the old password its new
    // connections were refused and pg_scrape_collector_success read 0.
    const prometheus = new PrometheusClient(f.outputs.observability.prometheusUrl);
    const collectors = await prometheus.query("min_over_time(pg_scrape_collector_success[30s])");
    expect(collectors.length).toBeGreaterThan(0);
    expect(collectors.map((c) => [c.labels.collector, c.value])).toEqual(collectors.map((c) => [c.labels.collector, 1]));
    expect((await prometheus.query("pg_up")).map((c) => c.value)).toEqual([1]);

    expect(await verify.exited, verify.output().slice(-4000)).toBe(0);
    const html = /^report: (.+report\.html)$/m.exec(verify.output())?.[1];
    const report = JSON.parse(fs.readFileSync(path.join(path.dirname(html!), "report.json"), "utf8")) as RunReport;
    expect(report.verdict).toBe("ready");
    const load = report.load!;
    expect(load.requests).toBeGreaterThan(0.95 * RATE * LOAD_SECONDS);
    expect({ rejected4xx: load.rejected4xx, failed5xx: load.failed5xx, timeouts: load.timeouts }).toEqual({ rejected4xx: 0, failed5xx: 0, timeouts: 0 });
    expect(load.acknowledged).toBe(load.requests);
    expect(report.integrity).toMatchObject({ lost: [], duplicates: [], unexpected: [], passed: true });
    expect(report.integrity!.acknowledged).toBeGreaterThanOrEqual(load.acknowledged);

    // The new password everywhere, the old one nowhere; only the holders were replaced.
    const fresh = await passwordOf();
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{32}$/);
    for (const reader of readers) expect((await docker.exec(reader, ["cat", "/run/secrets/postgres-password"])).output === fresh, reader).toBe(true);
    expect((await psqlAs(fresh)).exitCode).toBe(0);
    expect((await psqlAs(old)).output).toMatch(/password authentication failed/);
    expect(await idsOf(readers)).toEqual(readersBefore);
    const holdersAfter = await holderIds();
    expect(holdersAfter).toHaveLength(7);
    expect(holdersAfter.filter((id) => holdersBefore.includes(id)), "holders without the password, kept").toHaveLength(2);
    const retries = (await Promise.all([...containers.gateway, ...containers.worker].map((c) => docker.containerLogs(c)))).join("").split("postgres: password refused").length - 1;
    console.log(
      `rotation under ${RATE}/s (${retries} refused connection(s) retried by the flows): ${load.requests} requests, ${load.acknowledged} acknowledged, 0 failed; integrity: ${report.integrity!.acknowledged} acknowledged, 0 lost, 0 duplicated; rotate-secret took ${rotationSeconds.toFixed(1)} s; ${rotation.output.split("\n").find((l) => l.startsWith("rotated"))}`,
    );
  }, 1_200_000);
});
