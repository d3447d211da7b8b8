// The workload's core library: settings mapping, backoff, masking, trace context, message parsing.
import { describe, expect, it } from "vitest";
import { fullJitterDelay } from "../../workload/core/backoff.ts";
import { mask, MASK } from "../../workload/core/log.ts";
import { commonSchema, envName, readSettings, SettingsError } from "../../workload/core/settings.ts";
import { createTracing, inSpan, parseTraceparent, traceparentOf } from "../../workload/core/tracing.ts";
import { parseMessage, syntheticWork } from "../../workload/flows/worker/process.ts";

const env = {
  CONTAINER_FLOW__NAME: "gateway",
  CONTAINER_HTTP__PORT: "8080",
  CONTAINER_NATS__URL: "nats://toxiproxy:14222,nats://nats-0:4222",
  CONTAINER_POSTGRES__HOST: "postgres",
  CONTAINER_POSTGRES__PASSWORD_FILE: "/run/secrets/postgres-password",
};

describe("settings", () => {
  it("maps CONTAINER_<SECTION>__<KEY> onto section.key in camelCase", () => {
    expect(envName("worker", "maxConcurrency")).toBe("CONTAINER_WORKER__MAX_CONCURRENCY");
    const s = readSettings(commonSchema, { ...env, CONTAINER_POSTGRES__POOL_MAX: "20" });
    expect(s.nats.url).toEqual(["nats://toxiproxy:14222", "nats://nats-0:4222"]);
    expect(s.postgres).toMatchObject({ host: "postgres", port: 5432, poolMax: 20, connectTimeoutMs: 3000, password: "", passwordFile: "/run/secrets/postgres-password" });
    expect(s.log.maskFields).toContain("password");
  });

  it("lists every missing or malformed variable at once", () => {
    let error: unknown;
    try {
      readSettings(commonSchema, { CONTAINER_FLOW__NAME: "Gateway!", CONTAINER_HTTP__PORT: "80a", CONTAINER_POSTGRES__PORT: "0", CONTAINER_LOG__LEVEL: "loud" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([
      `CONTAINER_FLOW__NAME: got "Gateway!"; expected the flow's name`,
      'CONTAINER_HTTP__PORT: got "80a"; expected an integer from 1 to 65535',
      'CONTAINER_LOG__LEVEL: got "loud"; expected a pino level',
      "CONTAINER_NATS__URL: missing; expected a comma-separated list",
      "CONTAINER_POSTGRES__HOST: missing; expected a string",
      'CONTAINER_POSTGRES__PORT: got "0"; expected an integer from 1 to 65535',
      "CONTAINER_POSTGRES__PASSWORD / CONTAINER_POSTGRES__PASSWORD_FILE: neither is set; expected exactly one (the file is preferred: it is read at every connection, so a rotated secret is picked up)",
    ]);
  });

  it("takes a secret as a value or as a file, never both", () => {
    expect(readSettings(commonSchema, { ...env, CONTAINER_POSTGRES__PASSWORD_FILE: "", CONTAINER_POSTGRES__PASSWORD: "pw" }).postgres).toMatchObject({ password: "pw", passwordFile: "" });
    expect(() => readSettings(commonSchema, { ...env, CONTAINER_POSTGRES__PASSWORD: "pw" })).toThrow(
      "CONTAINER_POSTGRES__PASSWORD / CONTAINER_POSTGRES__PASSWORD_FILE: both are set; expected exactly one",
    );
  });
});

describe("full-jitter backoff", () => {
  it("stays below min(cap, base * 2^attempt) and reaches it as random approaches 1", () => {
    const b = { baseMs: 100, capMs: 5000 };
    expect(fullJitterDelay(0, b, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, b, () => 0.999)).toBe(799);
    expect(fullJitterDelay(20, b, () => 0.999)).toBe(4995);
    expect(fullJitterDelay(5, b, () => 0)).toBe(0);
    for (let i = 0; i < 200; i++) expect(fullJitterDelay(4, b)).toBeLessThan(1600);
  });
});

describe("masking", () => {
  const fields = new Set(["password", "token", "email"]);
  it("masks configured fields at any depth, case-insensitively, and e-mail addresses inside strings", () => {
    expect(mask({ user: "ann", Password: "x", nested: { token: "t", note: "mail bob@example.org now" }, list: [{ email: "e" }] }, fields)).toEqual({
      user: "ann",
      Password: MASK,
      nested: { token: MASK, note: `mail ${MASK} now` },
      list: [{ email: MASK }],
    });
  });
});

describe("trace context", () => {
  it("continues a valid traceparent with a new span, keeps the caller's sampling, and starts a trace otherwise", async () => {
    const tracing = createTracing({ url: "", service: "gateway", instance: "gateway" });
    const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const next = traceparentOf(tracing.start("POST /v1/records", incoming));
    expect(next).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(next).not.toBe(incoming);
    const unsampled = traceparentOf(tracing.start("records.receive", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
    expect(unsampled).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(parseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).toBeUndefined();
    expect(traceparentOf(tracing.start("POST /v1/records", "garbage"))).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await tracing.shutdown();
  });

  it("ends a span when its work settles, with the result's attributes, or marked failed with the error", async () => {
    const tracing = createTracing({ url: "", service: "worker", instance: "worker-0" });
    type Seen = { ended: boolean; attributes: Record<string, unknown>; status: { code: number; message?: string } };
    const ok = tracing.start("records.commit", undefined);
    expect(await inSpan(ok, async () => "processed", (o) => ({ "cp3.outcome": o }))).toBe("processed");
    expect(ok as unknown as Seen).toMatchObject({ ended: true, attributes: { "cp3.outcome": "processed" }, status: { code: 0 } });
    const failed = tracing.start("records.ack", undefined);
    await expect(inSpan(failed, async () => Promise.reject(new Error("no responders")))).rejects.toThrow("no responders");
    expect(failed as unknown as Seen).toMatchObject({ ended: true, status: { code: 2, message: "no responders" } });
    await tracing.shutdown();
  });
});

describe("worker message handling", () => {
  it("accepts only {id: uuid} and treats anything else as poison", () => {
    expect(parseMessage('{"id":"48abde53-1a63-4e6e-9f25-b75b24bbbb1e"}')).toBe("48abde53-1a63-4e6e-9f25-b75b24bbbb1e");
    for (const bad of ["", "{", '{"id":1}', '{"id":"not-a-uuid"}', "[]"]) expect(parseMessage(bad)).toBeUndefined();
  });
  it("does deterministic synthetic work of the configured output size", () => {
    const a = syntheticWork({ n: 1 }, { cpuRounds: 10, outputBytes: 100 });
    expect(a).toEqual(syntheticWork({ n: 1 }, { cpuRounds: 10, outputBytes: 100 }));
    expect(a.filler).toHaveLength(100);
    expect(a.digest).not.toBe(syntheticWork({ n: 1 }, { cpuRounds: 11, outputBytes: 100 }).digest);
  });
});
