// The one typed, validated schema for stack configuration. It is read only here, where stacks are assembled;
// components receive plain typed arguments. Every bad or unknown key is reported at once, with what it got and
// what is allowed, before any resource is declared.

export type StackKind = "ci" | "dev" | "staging";

export interface NatsSettings {
  /** JetStream store on tmpfs, in MiB. */
  storeMiB: number;
  memoryMiB: number;
  cpus: number;
}

export interface TestbedConfig {
  kind: StackKind;
  /** The run this stack belongs to (label cp3.run); the stack name when not set. */
  run: string;
  /** When an orphaned stack may be swept (label cp3.expires, ISO 8601); empty for "never". */
  expires: string;
  nats: NatsSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const NAMESPACE = "cp3";

type Reader = {
  problems: string[];
  int(key: string, raw: unknown, min: number, max: number, fallback: number): number;
  number(key: string, raw: unknown, min: number, max: number, fallback: number): number;
};

function reader(): Reader {
  const problems: string[] = [];
  const got = (raw: unknown) => JSON.stringify(raw);
  const numeric = (key: string, raw: unknown, min: number, max: number, fallback: number, integer: boolean) => {
    if (raw === undefined) return fallback;
    const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
    const kind = integer ? "an integer" : "a number";
    if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      problems.push(`${NAMESPACE}:${key}: got ${got(raw)}; allowed: ${kind} from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  return {
    problems,
    int: (key, raw, min, max, fallback) => numeric(key, raw, min, max, fallback, true),
    number: (key, raw, min, max, fallback) => numeric(key, raw, min, max, fallback, false),
  };
}

function parseObject(key: string, raw: string | undefined, problems: string[]): Record<string, unknown> {
  if (raw === undefined) return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  problems.push(`${NAMESPACE}:${key}: got ${JSON.stringify(raw)}; allowed: an object`);
  return {};
}

function unknownKeys(key: string, obj: Record<string, unknown>, known: string[], problems: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) problems.push(`${NAMESPACE}:${key}.${k}: unknown key; allowed keys: ${known.join(", ")}`);
  }
}

const TOP_LEVEL = ["kind", "run", "expires", "nats"];
const NATS_KEYS = ["storeMiB", "memoryMiB", "cpus"];

/**
 * Parses the project's configuration as Pulumi hands it to a program: a flat map of "cp3:key" to string
 * (objects arrive as JSON text).
 */
export function parseConfig(all: Record<string, string>, stack: string): TestbedConfig {
  const r = reader();
  const problems = r.problems;
  const own: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    const [ns, key] = fullKey.split(":", 2);
    if (ns !== NAMESPACE || key === undefined) continue;
    if (!TOP_LEVEL.includes(key)) problems.push(`${fullKey}: unknown key; allowed keys: ${TOP_LEVEL.map((k) => `${NAMESPACE}:${k}`).join(", ")}`);
    else own[key] = value;
  }

  const kinds: StackKind[] = ["ci", "dev", "staging"];
  const kind = own.kind as StackKind | undefined;
  if (kind === undefined || !kinds.includes(kind)) {
    problems.push(`${NAMESPACE}:kind: got ${JSON.stringify(own.kind)}; allowed: ${kinds.join(", ")} (required)`);
  }

  const expires = own.expires ?? "";
  if (expires !== "" && Number.isNaN(Date.parse(expires))) {
    problems.push(`${NAMESPACE}:expires: got ${JSON.stringify(expires)}; allowed: an ISO 8601 time such as 2026-11-24T12:00:00Z, or empty`);
  }
  const run = own.run ?? stack;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(run)) {
    problems.push(`${NAMESPACE}:run: got ${JSON.stringify(run)}; allowed: lower-case letters, digits and '-', up to 63 characters`);
  }

  const natsRaw = parseObject("nats", own.nats, problems);
  unknownKeys("nats", natsRaw, NATS_KEYS, problems);
  const nats: NatsSettings = {
    storeMiB: r.int("nats.storeMiB", natsRaw.storeMiB, 16, 65_536, 256),
    memoryMiB: r.int("nats.memoryMiB", natsRaw.memoryMiB, 64, 65_536, 512),
    cpus: r.number("nats.cpus", natsRaw.cpus, 0.1, 64, 1),
  };
  // The store lives in the container's memory (tmpfs), so the memory limit must leave room beside it.
  if (nats.memoryMiB < nats.storeMiB + 64) {
    problems.push(`${NAMESPACE}:nats.memoryMiB: got ${nats.memoryMiB}; allowed: at least nats.storeMiB + 64 (${nats.storeMiB + 64}), since the tmpfs store counts against the memory limit`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { kind: kind as StackKind, run, expires, nats };
}
