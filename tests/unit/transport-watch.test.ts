// The transport watch's counting, with the exec it is given answering as NATS and PostgreSQL would (the real
// servers are read in tls.test.ts, run.test.ts and kubernetes-run.test.ts): each session once by backend pid,
// a session seen unencrypted once stays so, a failed read counted and skipped, and stop() the same every time.
import { describe, expect, it } from "vitest";
import type { ExecIn } from "../../lib/workload-exec";
import { startTransportWatch } from "../../security/transport";

/** Answers /varz with `tlsRequired` per server, and each PostgreSQL read with the next of `samples` ("fail" fails). */
function execAnswering(tlsRequired: Record<string, boolean>, samples: string[]): ExecIn {
  let read = 0;
  return async (target, command) => {
    if (command[0] === "curl") return { exitCode: 0, output: JSON.stringify({ tls_required: tlsRequired[target] }) };
    const sample = samples[Math.min(read++, samples.length - 1)]!;
    return sample === "fail" ? { exitCode: 2, output: "psql: error: connection to server failed" } : { exitCode: 0, output: sample };
  };
}

describe("the transport watch", () => {
  it("counts each session once by pid, keeps a session unencrypted once seen so, and skips a failed read", async () => {
    const samples = ["101\tgateway\tt\n102\tworker-0\tt\n", "fail", "101\tgateway\tt\n103\tworker-0\tf\n", "103\tworker-0\tt\n104\tworker-1\tt\n"];
    const watch = startTransportWatch({ tls: true, exec: execAnswering({ "nats-0": true, "nats-1": false }, samples), nats: ["nats-0", "nats-1"], postgres: "pg", intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 100));
    const first = await watch.stop();
    expect(first.nats).toEqual({ servers: 2, tlsRequired: 1, unreadable: [] });
    expect(first.postgres).toMatchObject({ failedSamples: 1, sessions: 4, unencrypted: 1, byClient: { gateway: { sessions: 1, unencrypted: 0 }, "worker-0": { sessions: 2, unencrypted: 1 }, "worker-1": { sessions: 1, unencrypted: 0 } } });
    expect(first.postgres.samples).toBeGreaterThanOrEqual(3);
    // Stopped again (as a `finally` does): the same figures, not counted twice.
    const figures = structuredClone(first);
    expect(await watch.stop()).toEqual(figures);
  });

  it("only records that TLS is off, reading nothing", async () => {
    const never: ExecIn = async () => {
      throw new Error("read with TLS off");
    };
    expect(await startTransportWatch({ tls: false, exec: never, nats: ["nats-0"], postgres: "pg" }).stop()).toEqual({ tls: false, nats: { servers: 1, tlsRequired: 0, unreadable: [] }, postgres: { samples: 0, failedSamples: 0, sessions: 0, unencrypted: 0, byClient: {} } });
  });
});
