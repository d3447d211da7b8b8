// Settings from CONTAINER_-prefixed environment variables: CONTAINER_<SECTION>__<KEY> maps onto section.key,
// with the key in camelCase (CONTAINER_WORKER__MAX_CONCURRENCY -> worker.maxConcurrency). Each flow declares
// the fields it reads; every missing or malformed variable is reported at once, and the process stops before
// it serves anything.

export type Field =
  | { type: "string"; default?: string; pattern?: RegExp; describe?: string }
  | { type: "int"; default?: number; min: number; max: number }
  | { type: "bool"; default?: boolean }
  | { type: "list"; default?: string[] };

export type Schema = Record<string, Record<string, Field>>;

type Value<F extends Field> = F extends { type: "int" } ? number : F extends { type: "bool" } ? boolean : F extends { type: "list" } ? string[] : string;
export type Settings<S extends Schema> = { [Sec in keyof S]: { [K in keyof S[Sec]]: Value<S[Sec][K]> } };

export const envName = (section: string, key: string) => `CONTAINER_${section.toUpperCase()}__${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid settings (${problems.length}):\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
    this.name = "SettingsError";
  }
}

function readField(name: string, field: Field, raw: string | undefined, problems: string[]): unknown {
  if (raw === undefined || raw === "") {
    if (field.default === undefined) problems.push(`${name}: missing; expected ${describe(field)}`);
    return field.default;
  }
  switch (field.type) {
    case "string":
      if (field.pattern && !field.pattern.test(raw)) problems.push(`${name}: got ${JSON.stringify(raw)}; expected ${describe(field)}`);
      return raw;
    case "int": {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < field.min || n > field.max) problems.push(`${name}: got ${JSON.stringify(raw)}; expected ${describe(field)}`);
      return n;
    }
    case "bool":
      if (raw !== "true" && raw !== "false") problems.push(`${name}: got ${JSON.stringify(raw)}; expected true or false`);
      return raw === "true";
    case "list":
      return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
}

function describe(f: Field): string {
  switch (f.type) {
    case "string":
      return f.describe ?? "a string";
    case "int":
      return `an integer from ${f.min} to ${f.max}`;
    case "bool":
      return "true or false";
    case "list":
      return "a comma-separated list";
  }
}

export function readSettings<S extends Schema>(schema: S, env: NodeJS.ProcessEnv = process.env): Settings<S> {
  const problems: string[] = [];
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, fields] of Object.entries(schema)) {
    out[section] = {};
    for (const [key, field] of Object.entries(fields)) out[section]![key] = readField(envName(section, key), field, env[envName(section, key)], problems);
  }
  // A secret `key` may come as a file instead (`keyFile`, the *_FILE variable): exactly one of the two.
  for (const [section, fields] of Object.entries(schema)) {
    for (const key of Object.keys(fields)) {
      if (!(`${key}File` in fields)) continue;
      const given = [key, `${key}File`].filter((k) => out[section]![k] !== "");
      if (given.length !== 1) problems.push(`${envName(section, key)} / ${envName(section, `${key}File`)}: ${given.length === 0 ? "neither is set" : "both are set"}; expected exactly one (the file is preferred: it is read at every connection, so a rotated secret is picked up)`);
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return out as Settings<S>;
}

/** Settings every flow reads. */
export const commonSchema = {
  flow: { name: { type: "string", pattern: /^[a-z][a-z0-9-]{0,31}$/, describe: "the flow's name" }, instance: { type: "string", default: "local" } },
  http: { port: { type: "int", min: 1, max: 65535 } },
  /** Alertmanager, for the alert a flow sends before it stops on a fatal error; empty sends none. */
  alerts: { url: { type: "string", default: "" } },
  /**
   * OTLP/HTTP base URL the spans go to (the testbed's Jaeger); empty exports none. spoolDir: a directory on a volume
   * that outlives the process, where spans wait for export so a SIGKILL loses none; empty keeps them in memory.
   */
  traces: { url: { type: "string", default: "" }, spoolDir: { type: "string", default: "" } },
  log: { level: { type: "string", default: "info", pattern: /^(trace|debug|info|warn|error|fatal)$/, describe: "a pino level" }, maskFields: { type: "list", default: ["password", "token", "authorization", "secret", "email"] } },
  nats: { url: { type: "list" }, caFile: { type: "string", default: "" }, stream: { type: "string", default: "RECORDS" }, consumer: { type: "string", default: "workers" }, subject: { type: "string", default: "records.new" } },
  postgres: { host: { type: "string" }, port: { type: "int", min: 1, max: 65535, default: 5432 }, user: { type: "string", default: "postgres" }, password: { type: "string", default: "" }, passwordFile: { type: "string", default: "" }, database: { type: "string", default: "postgres" }, poolMax: { type: "int", min: 1, max: 200, default: 10 }, connectTimeoutMs: { type: "int", min: 100, max: 60_000, default: 3000 }, maxLifetimeSeconds: { type: "int", min: 0, max: 86_400, default: 60 }, caFile: { type: "string", default: "" } },
} as const satisfies Schema;
