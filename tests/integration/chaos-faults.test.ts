// Every fault kind on a real ci stack: inject it, see its effect with a probe of our own while it is in
// place, roll it back, see it gone. Plus: a broken steady state keeps the method from running, an interrupt
// during a fault rolls it back at once, and schedules are repeatable. One stack for the whole file.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chaosTargetsFromOutputs, planSchedule, runExperiment, sweep, validateExperiment, type ChaosTargets } from "../../chaos";
import { cmdline, memoryBytes, processes } from "../../chaos/cgroup";
import { diskUsage, inspect, pidOf } from "../../chaos/engine";
import { TAG_PREFIX, taggedRules, ourQdisc, interfaceWith } from "../../chaos/netns";
import { BAD_STARTUP, connectSeries, conversation, SSL_REQUEST, throughput } from "../../chaos/tcp-probe";
import * as toxiproxy from "../../chaos/toxiproxy-api";
import { destroyStack, openStack, upStack } from "../../lifecycle/stacks";
import * as docker from "../../lib/docker-api";
import { newRunId } from "../../lib/run-id";
import type { ExperimentResult } from "../../reporting/model";
import { setup } from "../../toolchain/setup";

const name = `ci-chaos-${newRunId()}`;
let stack: Stack | undefined;
let t: ChaosTargets;
const effects: string[] = [];
const t0 = Date.now();

beforeAll(async () => {
  const result = await setup({ checkOnly: true });
  expect(result.missing, "the toolchain is incomplete: run `npm run cp3 -- setup`").toEqual([]);
  stack = await openStack(name, result.toolchain);
  t = chaosTargetsFromOutputs((await upStack(stack)).outputs);
}, 600_000);

afterAll(async () => {
  try {
    // Whatever a failed test left (it should be nothing), then the stack itself.
    if (t) {
      const left = await sweep(t).catch((err: unknown) => [`sweep failed: ${String(err)}`]);
      if (left.length > 0) console.warn(`sweep found: ${left.join("; ")}`);
    }
  } finally {
    if (stack) await destroyStack(stack, { remove: true });
  }
  console.log(`measured effects:\n${effects.join("\n")}`);
}, 300_000);

const worker0 = () => t.containers.worker[0]!;
const nats0 = () => t.containers.nats[0]!;

/** A one-fault experiment whose steady state is the gateway being ready. */
function oneFault(fault: Record<string, unknown>, steadyState: unknown[] = [{ probe: "gateway-ready" }]) {
  return validateExperiment({ name: "it", description: "integration", steadyState, method: [fault], recoveryDeadlineSeconds: 90 }, "test");
}

/**
 * Runs the experiment; once its fault is in place runs `probe` (our own observation of the effect), then
 * waits for the experiment's end (rollback verified) and runs `after`.
 */
async function observe<D, A>(exp: ReturnType<typeof oneFault>, probe: () => Promise<D>, after: () => Promise<A>, signal = new AbortController().signal): Promise<{ result: ExperimentResult; during: D; after: A }> {
  let inPlace!: () => void;
  const applied = new Promise<void>((resolve) => (inPlace = resolve));
  const running = runExperiment(exp, t, {
    signal,
    clock: () => (Date.now() - t0) / 1000,
    log: (line) => {
      if (line.includes(" in place")) inPlace();
    },
  });
  await Promise.race([applied, running]);
  const during = await probe();
  const result = await running;
  const f = result.faults[0];
  if (f) effects.push(`${f.kind}: ${f.status}, removed ${f.removed}: ${f.effect}`);
  expect(result.faults[0]?.status, JSON.stringify(result, null, 2)).toBe("applied");
  expect(result.faults[0]?.removed, JSON.stringify(result.faults[0])).toBe(true);
  return { result, during, after: await after() };
}

const dataIp = async (container: string) => (await inspect(container)).NetworkSettings.Networks[t.networks.data]!.IPAddress;

describe(`chaos faults on a real ci stack (${name})`, () => {
  it("container-pause freezes the container; rollback unpauses it", async () => {
    const state = async () => (await inspect(worker0())).State.Paused;
    const r = await observe(oneFault({ kind: "container-pause", target: { role: "worker", pick: "first" }, durationSeconds: 4 }), state, state);
    expect(r.during).toBe(true);
    expect(r.after).toBe(false);
    expect(r.result.faults[0]!.effect).toMatch(/State\.Paused=true, 0\.0\d\d CPU s used in 1 s/);
    expect(r.result.status).toBe("passed");
  }, 120_000);

  it("container-kill (SIGKILL) is answered by the restart policy: a new process runs", async () => {
    const before = await inspect(worker0());
    const r = await observe(
      oneFault({ kind: "container-kill", target: { role: "worker", pick: "first" }, durationSeconds: 6 }),
      async () => undefined,
      async () => inspect(worker0()),
    );
    expect(r.after.State.Running).toBe(true);
    expect(r.after.State.Pid).not.toBe(before.State.Pid);
    expect(r.after.RestartCount).toBeGreaterThan(before.RestartCount);
    expect(r.result.faults[0]!.effect).toMatch(/running again after [\d.]+ s, restarted by the restart policy/);
  }, 120_000);

  it("container-kill through the engine is a manual stop: the rollback starts it", async () => {
    const r = await observe(
      oneFault({ kind: "container-kill", target: { role: "worker", pick: 1 }, durationSeconds: 3, parameters: { via: "engine" } }),
      async () => (await inspect(t.containers.worker[1]!)).State.Running,
      async () => (await inspect(t.containers.worker[1]!)).State.Running,
    );
    expect(r.during).toBe(false);
    expect(r.after).toBe(true);
    expect(r.result.faults[0]!.effect).toContain("rollback: started");
  }, 120_000);

  it("container-stop stops it for the duration; rollback starts it", async () => {
    const state = async () => (await inspect(worker0())).State.Status;
    const r = await observe(oneFault({ kind: "container-stop", target: { role: "worker", pick: "first" }, durationSeconds: 3, parameters: { graceSeconds: 2 } }), state, state);
    expect(r.during).toBe("exited");
    expect(r.after).toBe("running");
  }, 120_000);

  it("container-restart of NATS wipes its tmpfs store", async () => {
    // A marker in the store's tmpfs, written as the NATS user: a restart must take it away.
    await docker.exec(nats0(), ["sh", "-c", "head -c 1048576 /dev/zero > /data/marker"]);
    const marker = async () => (await docker.exec(nats0(), ["test", "-e", "/data/marker"])).exitCode === 0;
    expect(await marker()).toBe(true);
    const r = await observe(oneFault({ kind: "container-restart", target: { role: "nats", pick: "first" }, durationSeconds: 5, parameters: { graceSeconds: 2 } }), marker, marker);
    expect(r.during).toBe(false);
    expect(r.after).toBe(false);
    expect(r.result.faults[0]!.effect).toMatch(/tmpfs before \/data 1\.\d MiB.*after \/data \d+ KiB/);
    expect(r.result.status).toBe("passed");
  }, 180_000);

  it("a restart that would empty a mount named durable (a tmpfs) is skipped, and nothing is restarted", async () => {
    const before = await inspect(t.containers.postgres);
    const exp = oneFault({ kind: "container-restart", target: { role: "postgres", pick: "first" }, durationSeconds: 3, parameters: { durable: "/var/lib/postgresql/data" } }, []);
    const result = await runExperiment(exp, t, { signal: new AbortController().signal, clock: () => 0, log: () => {} });
    expect(result.status).toBe("skipped");
    expect(result.faults[0]!.effect).toContain("/var/lib/postgresql/data in " + t.containers.postgres + " is a tmpfs");
    expect((await inspect(t.containers.postgres)).State.Pid).toBe(before.State.Pid);
  }, 60_000);

  it("network-disconnect detaches a worker from the data network; rollback reattaches it with its aliases", async () => {
    const natsIp = await dataIp(nats0());
    const reach = async () => connectSeries(await pidOf(worker0()), natsIp, 4222, 2, 1000);
    // Another worker finds worker-0 by its alias once it is back.
    const alias = async () => (await docker.exec(t.containers.worker[1]!, ["getent", "hosts", "worker-0"])).exitCode;
    const r = await observe(oneFault({ kind: "network-disconnect", target: { role: "worker", pick: "first" }, durationSeconds: 5 }), reach, async () => ({ reach: await reach(), alias: await alias() }));
    expect(r.during.ok).toBe(0);
    expect(r.after.reach.ok).toBe(2);
    expect(r.after.alias).toBe(0);
  }, 120_000);

  it("network-partition drops worker <-> NATS both ways, directly and through Toxiproxy's NATS proxy", async () => {
    const natsIp = await dataIp(nats0());
    const toxIp = await dataIp(t.containers.toxiproxy);
    const reach = async () => {
      const pid = await pidOf(worker0());
      return { direct: await connectSeries(pid, natsIp, 4222, 2, 1000), proxied: await connectSeries(pid, toxIp, 14222, 2, 1000), back: await connectSeries(await pidOf(nats0()), await dataIp(worker0()), 8081, 1, 1000) };
    };
    const r = await observe(oneFault({ kind: "network-partition", target: { role: "worker", pick: "all" }, peer: { role: "nats", pick: "all" }, durationSeconds: 20 }), reach, reach);
    expect(r.during.direct.ok).toBe(0);
    expect(r.during.proxied.ok).toBe(0);
    expect(r.during.back.ok).toBe(0);
    expect(r.after.direct.ok).toBe(2);
    expect(r.after.proxied.ok).toBe(2);
    expect(r.after.back.ok).toBe(1);
    for (const c of [...t.containers.worker, nats0()]) expect(await taggedRules(await pidOf(c), TAG_PREFIX)).toEqual([]);
  }, 120_000);

  it("packet-loss drops a share of the data network's packets (measured by TCP connects)", async () => {
    const natsIp = await dataIp(nats0());
    const lossy = async () => connectSeries(await pidOf(worker0()), natsIp, 4222, 30, 400);
    const r = await observe(oneFault({ kind: "packet-loss", target: { network: "data" }, durationSeconds: 16, parameters: { probability: 0.5 } }), lossy, lossy);
    // SYN and SYN-ACK each lost half the time: about 3 in 4 connects fail.
    expect(r.during.failed).toBeGreaterThanOrEqual(10);
    expect(r.after.failed).toBe(0);
    expect(r.result.faults[0]!.effect).toMatch(/kernel dropped (4\d|5\d|6\d)\.\d % of \d+ egress packets/);
  }, 120_000);

  it("bandwidth-limit (tc tbf) caps a container's egress; rollback restores it", async () => {
    const gw = t.containers.gateway[0]!;
    const rate = async () => throughput(await pidOf(gw), (await inspect(nats0())).State.Pid, await dataIp(nats0()), 2);
    const r = await observe(oneFault({ kind: "bandwidth-limit", target: { role: "gateway" }, durationSeconds: 10, parameters: { rateKbit: 2000 } }), rate, rate);
    const limit = (2000 * 1000) / 8;
    expect(r.during).toBeLessThan(limit * 1.5);
    expect(r.after).toBeGreaterThan(limit * 10);
    const pid = await pidOf(gw);
    expect(await ourQdisc(pid, await interfaceWith(pid, await dataIp(gw)))).toBeUndefined();
  }, 120_000);

  // Through Toxiproxy as a worker reaches it: toxiproxy:15432 on the data network, from the worker's netns.
  const viaPostgresProxy = async (deadlineMs = 5000) => conversation(await pidOf(worker0()), await dataIp(t.containers.toxiproxy), 15432, deadlineMs, SSL_REQUEST, BAD_STARTUP);

  it("latency (Toxiproxy) delays PostgreSQL's answers by 500 ms; gone after rollback", async () => {
    const r = await observe(oneFault({ kind: "latency", target: { link: "postgres" }, durationSeconds: 6, parameters: { latencyMs: 500, jitterMs: 20 } }), () => viaPostgresProxy(), () => viaPostgresProxy());
    expect(r.during.firstByteMs).toBeGreaterThanOrEqual(470);
    // No reset any more, and an answer in well under the toxic's 300 ms reset (loose: a busy 2-core machine).
    expect(r.after.firstByteMs).toBeLessThan(1000);
    expect(await toxiproxy.toxics(t.toxiproxyUrl, "postgres")).toEqual([]);
  }, 120_000);

  it("timeout (Toxiproxy) lets no data through and closes after the timeout", async () => {
    const r = await observe(oneFault({ kind: "timeout", target: { link: "postgres" }, durationSeconds: 6, parameters: { timeoutMs: 1500 } }), () => viaPostgresProxy(), () => viaPostgresProxy());
    expect(r.during.firstByteMs).toBeUndefined();
    expect(r.during.closeMs ?? r.during.errorMs).toBeGreaterThanOrEqual(1400);
    // No reset any more, and an answer in well under the toxic's 300 ms reset (loose: a busy 2-core machine).
    expect(r.after.firstByteMs).toBeLessThan(1000);
  }, 120_000);

  it("reset-peer (Toxiproxy) resets connections; gone after rollback", async () => {
    const r = await observe(oneFault({ kind: "reset-peer", target: { link: "postgres" }, durationSeconds: 5, parameters: { timeoutMs: 300 } }), () => viaPostgresProxy(), () => viaPostgresProxy());
    expect(r.during.error).toBe("ECONNRESET");
    expect(r.after.error).toBeUndefined();
    // No reset any more, and an answer in well under the toxic's 300 ms reset (loose: a busy 2-core machine).
    expect(r.after.firstByteMs).toBeLessThan(1000);
  }, 180_000);

  it("slow-close (Toxiproxy) holds a close back; gone after rollback", async () => {
    const r = await observe(oneFault({ kind: "slow-close", target: { link: "postgres" }, durationSeconds: 6, parameters: { delayMs: 2000 } }), () => viaPostgresProxy(), () => viaPostgresProxy());
    expect(r.during.closeMs).toBeGreaterThanOrEqual(1900);
    expect(r.after.closeMs).toBeLessThan(1000);
  }, 120_000);

  it("disk-fill fills the JetStream tmpfs to 95 % (df in the container); the file goes on rollback", async () => {
    const used = async () => {
      const [d] = await diskUsage(nats0(), ["/data"]);
      return (100 * d!.usedBytes) / d!.sizeBytes;
    };
    const r = await observe(oneFault({ kind: "disk-fill", target: { role: "nats", pick: "first" }, durationSeconds: 5, parameters: { percent: 95 } }), used, used);
    expect(r.during).toBeGreaterThanOrEqual(94);
    expect(r.after).toBeLessThan(10);
    expect((await docker.exec(nats0(), ["sh", "-c", "ls -a /data"])).output).not.toContain("cp3-chaos");
  }, 120_000);

  it("cpu-stress runs busy loops in the gateway's cgroup; rollback kills them all", async () => {
    const gw = t.containers.gateway[0]!;
    const stressing = async () => {
      const pid = await pidOf(gw);
      return processes(pid).filter((p) => cmdline(p).includes(TAG_PREFIX)).length;
    };
    const r = await observe(oneFault({ kind: "cpu-stress", target: { role: "gateway" }, durationSeconds: 6, parameters: { workers: 2 } }), stressing, stressing);
    expect(r.during).toBeGreaterThanOrEqual(2);
    expect(r.after).toBe(0);
    expect(r.result.faults[0]!.effect).toMatch(/throttled in \d+ % of periods/);
  }, 120_000);

  it("memory-stress holds memory in a worker's cgroup; rollback frees it", async () => {
    const mem = async () => memoryBytes(await pidOf(worker0()));
    const limit = (await inspect(worker0())).HostConfig.Memory;
    const r = await observe(
      oneFault({ kind: "memory-stress", target: { role: "worker", pick: "first" }, durationSeconds: 8, parameters: { percentOfLimit: 70 } }),
      async () => {
        await new Promise((res) => setTimeout(res, 3000));
        return mem();
      },
      mem,
    );
    expect(r.during).toBeGreaterThan(limit * 0.6);
    expect(r.after).toBeLessThan(limit * 0.5);
  }, 120_000);

  it("a toxic on a stack whose flows bypass Toxiproxy is skipped, saying why", async () => {
    const bypass = { ...t, chaosProxies: { ...t.chaosProxies, enabled: false } };
    const exp = oneFault({ kind: "latency", target: { link: "postgres" }, durationSeconds: 3 }, []);
    const result = await runExperiment(exp, bypass, { signal: new AbortController().signal, clock: () => 0, log: () => {} });
    expect(result.status).toBe("skipped");
    expect(result.faults[0]).toMatchObject({ status: "skipped", removed: true });
    expect(result.reason).toContain("latency: skipped: the flows do not go through Toxiproxy in this stack (chaos.proxy is off)");
  }, 60_000);

  it("a broken steady state keeps the method from running", async () => {
    const exp = oneFault({ kind: "network-partition", target: { role: "worker" }, peer: { role: "nats" }, durationSeconds: 30 }, [{ probe: "gateway-ready" }, { probe: "error-rate", max: 0.05, windowSeconds: 10 }]);
    const result = await runExperiment(exp, t, { signal: new AbortController().signal, clock: () => 0, log: () => {}, errorRate: () => 0.5 });
    expect(result.status).toBe("failed");
    expect(result.reason).toContain("the steady state did not hold before the method (error-rate: 50.0 % (wanted <= 5.0 % over 10 s)), so the method did not run");
    expect(result.faults).toEqual([]);
    expect(await taggedRules(await pidOf(worker0()), TAG_PREFIX)).toEqual([]);
  }, 60_000);

  it("an interrupt during a fault rolls it back at once and verifies it gone", async () => {
    const ac = new AbortController();
    const natsIp = await dataIp(nats0());
    const started = Date.now();
    const r = await observe(
      oneFault({ kind: "network-partition", target: { role: "worker", pick: "all" }, peer: { role: "nats", pick: "all" }, durationSeconds: 120 }),
      async () => {
        const cut = await connectSeries(await pidOf(worker0()), natsIp, 4222, 1, 1000);
        ac.abort(new Error("interrupted by SIGINT (test)"));
        return cut;
      },
      async () => connectSeries(await pidOf(worker0()), natsIp, 4222, 2, 1000),
      ac.signal,
    );
    expect(r.during.ok).toBe(0);
    expect(r.after.ok).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.result.status).toBe("error");
    expect(r.result.reason).toContain("every fault was rolled back and verified removed");
    for (const c of [...t.containers.worker, nats0()]) expect(await taggedRules(await pidOf(c), TAG_PREFIX)).toEqual([]);
  }, 120_000);

  it("a schedule is repeatable: the same seed gives the same plan", () => {
    const names = ["worker-kill", "data-packet-loss", "postgres-latency"];
    expect(planSchedule(names, 2024, 240)).toEqual(planSchedule(names, 2024, 240));
  });

  it("nothing of ours is left anywhere in the stack", async () => {
    expect(await sweep(t)).toEqual([]);
  }, 60_000);
});
