// A small declarative validator for configuration objects: each field says its type, bounds and default, and
// one pass reports every problem with the key, what it got and what is allowed.

export type FieldSpec =
  | { type: "int" | "number"; min: number; max: number; default: number }
  | { type: "bool"; default: boolean }
  | { type: "enum"; values: readonly string[]; default: string }
  | { type: "string"; pattern: RegExp; describe: string; default: string; /** Never echoed in a problem. */ secret?: boolean }
  | { type: "strings"; pattern: RegExp; describe: string; default: readonly string[] };

export type SectionSpec = Record<string, FieldSpec>;

type FieldValue<F extends FieldSpec> = F extends { type: "int" | "number" }
  ? number
  : F extends { type: "bool" }
    ? boolean
    : F extends { type: "strings" }
      ? string[]
      : F extends { type: "enum"; values: readonly (infer V)[] }
        ? V
        : string;

export type SectionValue<S extends SectionSpec> = { [K in keyof S]: FieldValue<S[K]> };

const show = (v: unknown) => JSON.stringify(v);

function readField(key: string, spec: FieldSpec, raw: unknown, problems: string[]): unknown {
  if (raw === undefined) return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  const bad = (allowed: string) => {
    const got = spec.type === "string" && spec.secret ? (typeof raw === "string" ? `a secret of ${raw.length} characters` : `a ${typeof raw}`) : show(raw);
    problems.push(`${key}: got ${got}; allowed: ${allowed}`);
    return Array.isArray(spec.default) ? [...spec.default] : spec.default;
  };
  switch (spec.type) {
    case "int":
    case "number": {
      // `pulumi config set` stores numbers as strings; accept those, but never turn a bad value into a default.
      const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      const kind = spec.type === "int" ? "an integer" : "a number";
      if (typeof value !== "number" || !Number.isFinite(value) || (spec.type === "int" && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
        return bad(`${kind} from ${spec.min} to ${spec.max}`);
      }
      return value;
    }
    case "bool":
      if (raw === true || raw === "true") return true;
      if (raw === false || raw === "false") return false;
      return bad("true or false");
    case "enum": {
      // `pulumi config set --path` stores true and false as booleans; an enum of "true" and "false" takes them.
      const text = typeof raw === "boolean" ? String(raw) : raw;
      return typeof text === "string" && spec.values.includes(text) ? text : bad(spec.values.join(", "));
    }
    case "string":
      return typeof raw === "string" && spec.pattern.test(raw) ? raw : bad(spec.describe);
    case "strings":
      return Array.isArray(raw) && raw.length > 0 && raw.every((s) => typeof s === "string" && spec.pattern.test(s))
        ? raw
        : bad(`a non-empty list of ${spec.describe}`);
  }
}

/** Reads one section (an object) against its spec; unknown keys are problems too. */
export function readSection<S extends SectionSpec>(key: string, spec: S, raw: unknown, problems: string[]): SectionValue<S> {
  let obj: Record<string, unknown> = {};
  if (raw !== undefined) {
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) obj = raw as Record<string, unknown>;
    else problems.push(`${key}: got ${show(raw)}; allowed: an object with keys ${Object.keys(spec).join(", ")}`);
  }
  for (const k of Object.keys(obj)) {
    if (!(k in spec)) problems.push(`${key}.${k}: unknown key; allowed keys: ${Object.keys(spec).join(", ")}`);
  }
  const out: Record<string, unknown> = {};
  for (const [field, fieldSpec] of Object.entries(spec)) out[field] = readField(`${key}.${field}`, fieldSpec, obj[field], problems);
  return out as SectionValue<S>;
}

/** Parses a config value that Pulumi hands over as text: objects arrive as JSON. */
export function parseJsonValue(key: string, raw: string | undefined, problems: string[]): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    problems.push(`${key}: got ${show(raw)}; allowed: an object`);
    return undefined;
  }
}
