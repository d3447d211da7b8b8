// Checks a system description before anything is created: the shapes (spec.ts), then the rules that span fields
// (names that must exist, one entry, memory that must hold a tmpfs). Every problem is reported at once, each
// naming the field, what it got and what is allowed.
import type { z } from "zod";
import { FILE_WIRED, SECRET_WIRED, testbedSpecSchema, type TestbedSpec } from "./spec";

export class SpecError extends Error {
  constructor(
    readonly problems: string[],
    where = "system description",
  ) {
    super(`invalid ${where} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "SpecError";
  }
}

const show = (v: unknown): string => {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`), "");
}

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown => path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);

/** One zod issue as "field: got …; allowed: …". */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = fieldPath(issue.path) || "(the description)";
  const got = show(valueAt(input, issue.path));
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => `${fieldPath([...issue.path, k])}: unknown key; allowed: only the keys the description's schema names (testbed/spec.ts)`).join("\n  - ");
    case "invalid_type":
      return `${where}: got ${got}; allowed: ${issue.expected === "object" ? "an object" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}${got === "nothing" ? " (required)" : ""}`;
    case "too_small":
      return `${where}: got ${got}; allowed: ${issue.origin === "array" ? `at least ${issue.minimum} item(s)` : issue.origin === "string" ? `at least ${issue.minimum} character(s)` : `at least ${issue.minimum}`}`;
    case "too_big":
      return `${where}: got ${got}; allowed: ${issue.origin === "array" ? `at most ${issue.maximum} item(s)` : `at most ${issue.maximum}`}`;
    case "invalid_value":
      return `${where}: got ${got}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return `${where}: got ${got}; allowed: ${issue.format === "starts_with" ? `text starting with "${(issue as { prefix?: string }).prefix}"` : issue.message}`;
    default:
      return `${where}: got ${got}; allowed: ${issue.message}`;
  }
}

/** Validates a description (a preset or a parsed file); returns it with every default filled in. */
export function validateSpec(input: unknown, where?: string): TestbedSpec {
  const parsed = testbedSpecSchema.safeParse(input);
  if (!parsed.success) throw new SpecError(parsed.error.issues.map((i) => describeIssue(i, input)), where);
  const problems = crossChecks(parsed.data);
  if (problems.length > 0) throw new SpecError(problems, where);
  return parsed.data;
}

const INFRASTRUCTURE = ["nats", "postgres", "migrations"];

function crossChecks(s: TestbedSpec): string[] {
  const problems: string[] = [];
  const names = s.services.map((x) => x.name);
  const known = (n: string) => names.includes(n);
  const list = (xs: string[]) => xs.join(", ") || "(none)";
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.push(`services[${i}].name: got "${n}"; allowed: a name no other service has`);
  });

  const entries: string[] = [];
  s.services.forEach((svc, i) => {
    const at = `services[${i}]`;
    svc.dependsOn.forEach((d, j) => {
      if (d === svc.name || (!INFRASTRUCTURE.includes(d) && !known(d))) problems.push(`${at}.dependsOn[${j}]: got "${d}"; allowed: ${list([...INFRASTRUCTURE, ...names.filter((n) => n !== svc.name)])}`);
    });
    for (const [key, value] of Object.entries(svc.env)) {
      const ref = typeof value === "object" ? /^service:(.+)\.url$/.exec(value.from)?.[1] : undefined;
      if (typeof value === "object" && FILE_WIRED.includes(value.from) && !key.endsWith("_FILE")) {
        const what = SECRET_WIRED.includes(value.from) ? "a secret" : "a file";
        problems.push(`${at}.env.${key}: got {from: ${value.from}}, ${what}; allowed: a variable named *_FILE (${key}_FILE), which gets the path of a file holding the value (secrets never reach a container as a variable)`);
      }
      if (ref !== undefined && !s.services.some((o) => o.name === ref && o.ports.length > 0)) {
        problems.push(`${at}.env.${key}.from: got "service:${ref}.url"; allowed: service:<name>.url of a service with a port (${list(s.services.filter((o) => o.ports.length > 0).map((o) => o.name))})`);
      }
    }
    // A kept path (services[].volumes) mounted where another writable mount already is would hide one of them.
    const taken = ["/run/secrets", ...svc.tmpfs.map((t) => t.path)];
    svc.volumes.forEach((v, j) => {
      const elsewhere = [...new Set([...taken, ...svc.volumes.slice(0, j).map((o) => o.path)])];
      if (v.path === "/" || elsewhere.includes(v.path)) problems.push(`${at}.volumes[${j}].path: got "${v.path}"; allowed: a directory other than /, /run/secrets (the secret files), the tmpfs paths and the other volumes (${list(elsewhere)})`);
    });
    if (svc.ports.filter((p) => p.entry).length > 0) entries.push(svc.name);
    if (svc.ports.some((p) => p.entry) && svc.replicas > 1) problems.push(`${at}.replicas: got ${svc.replicas}; allowed: 1 for the entry service (its port is published on 127.0.0.1)`);
  });
  if (entries.length > 1) problems.push(`services: ${entries.join(" and ")} both have an entry port; allowed: one entry port in the whole system`);
  const entry = s.services.find((x) => x.name === s.drive.entry);
  if (!entry) problems.push(`drive.entry: got "${s.drive.entry}"; allowed: a service's name (${list(names)})`);
  else if (!entry.ports.some((p) => p.entry)) problems.push(`drive.entry: got "${s.drive.entry}"; allowed: a service with a port marked entry: true`);

  const streams = s.nats.streams.map((x) => x.name);
  s.nats.consumers.forEach((c, i) => {
    if (!streams.includes(c.stream)) problems.push(`nats.consumers[${i}].stream: got "${c.stream}"; allowed: a stream of nats.streams (${list(streams)})`);
  });
  s.nats.streams.forEach((x, i) => {
    if (x.maxBytesMiB > s.nats.storeMiB) problems.push(`nats.streams[${i}].maxBytesMiB: got ${x.maxBytesMiB}; allowed: at most nats.storeMiB (${s.nats.storeMiB}), the size of the store`);
  });
  if (s.nats.memoryMiB < s.nats.storeMiB + 64) problems.push(`nats.memoryMiB: got ${s.nats.memoryMiB}; allowed: at least nats.storeMiB + 64 (${s.nats.storeMiB + 64}), since the tmpfs store counts against the memory limit`);
  const pg = s.postgres;
  if (pg.storage === "tmpfs" && pg.memoryMiB < pg.storageMiB + pg.sharedBuffersMiB + 64) problems.push(`postgres.memoryMiB: got ${pg.memoryMiB}; allowed: at least storageMiB + sharedBuffersMiB + 64 (${pg.storageMiB + pg.sharedBuffersMiB + 64}) with tmpfs storage`);
  // "postgres" exists always; naming it here only gives it migrations.
  const databases = [...new Set(["postgres", ...pg.databases.map((d) => d.name)])];
  pg.databases.forEach((d, i) => {
    if (pg.databases.findIndex((x) => x.name === d.name) !== i) problems.push(`postgres.databases[${i}].name: got "${d.name}"; allowed: a name no other entry has`);
  });
  (s.toxiproxy.links ?? []).forEach((l, i) => {
    if (!known(l.from)) problems.push(`toxiproxy.links[${i}].from: got "${l.from}"; allowed: a service's name (${list(names)})`);
  });

  const a2p = s.slos.acceptToProcessed;
  if (a2p && !s.services.some((x) => x.name === a2p.service && x.metrics)) {
    problems.push(`slos.acceptToProcessed.service: got "${a2p.service}"; allowed: a service with metrics (${list(s.services.filter((x) => x.metrics).map((x) => x.name))}), since Prometheus reads the histogram from it`);
  }

  const oracle = s.oracle;
  if (oracle && "sql" in oracle && !databases.includes(oracle.sql.database)) problems.push(`oracle.sql.database: got "${oracle.sql.database}"; allowed: ${list(databases)}`);
  if (oracle && "http" in oracle && !known(oracle.http.service)) problems.push(`oracle.http.service: got "${oracle.http.service}"; allowed: a service's name (${list(names)})`);
  s.probes.forEach((p, i) => {
    if ("http" in p && !known(p.http.service)) problems.push(`probes[${i}].http.service: got "${p.http.service}"; allowed: a service's name (${list(names)})`);
    if ("consumerLag" in p) {
      const lag = p.consumerLag;
      if (!s.nats.consumers.some((c) => c.stream === lag.stream && c.name === lag.consumer)) {
        problems.push(`probes[${i}].consumerLag: got ${lag.stream}/${lag.consumer}; allowed: a consumer of nats.consumers (${list(s.nats.consumers.map((c) => `${c.stream}/${c.name}`))})`);
      }
    }
  });
  return problems;
}
