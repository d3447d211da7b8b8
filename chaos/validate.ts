// Turns untrusted input (a JSON file, or a built-in written in TypeScript) into a checked Experiment. Every
// error names the field by its path, what it got and what is allowed; parameter defaults are filled in.
import { acceptParam, describeParam, KINDS } from "./parameters";
import { FAULT_KINDS, LINKS, NETWORKS, ROLE_NAME, type Experiment, type FaultKind, type FaultSpec, type ParameterValue, type ProbeSpec, type TargetSelector } from "./types";

export class ExperimentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExperimentError";
  }
}

export const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Longest fault or recovery window accepted, so a typo cannot hold a fault in place for a day. */
export const MAX_SECONDS = 3600;

const show = (v: unknown): string => {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export class Checker {
  constructor(readonly where: string) {}

  fail(field: string, got: unknown, allowed: string): never {
    throw new ExperimentError(`${this.where}: ${field}: got ${show(got)}; allowed: ${allowed}`);
  }

  object(v: unknown, field: string): Obj {
    return isObj(v) ? v : this.fail(field, v, "an object");
  }

  /** Rejects keys the format does not know (a misspelt key would otherwise be ignored silently). */
  keys(o: Obj, field: string, allowed: string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${field}${field ? "." : ""}${k}`, o[k], `no such key; the keys are ${allowed.join(", ")}`);
  }

  string(v: unknown, field: string, pattern?: RegExp, allowed = "a non-empty string"): string {
    return typeof v === "string" && v !== "" && (!pattern || pattern.test(v)) ? v : this.fail(field, v, allowed);
  }

  number(v: unknown, field: string, min: number, max: number, integer = false): number {
    const ok = typeof v === "number" && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v));
    return ok ? v : this.fail(field, v, `${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  }

  oneOf<T extends string>(v: unknown, field: string, values: readonly T[]): T {
    return typeof v === "string" && (values as readonly string[]).includes(v) ? (v as T) : this.fail(field, v, values.map((x) => `"${x}"`).join(", "));
  }

  array(v: unknown, field: string, nonEmpty: boolean): unknown[] {
    return Array.isArray(v) && (!nonEmpty || v.length > 0) ? v : this.fail(field, v, nonEmpty ? "a non-empty array" : "an array");
  }
}

function target(c: Checker, raw: unknown, field: string): TargetSelector {
  const forms = 'one of {"role", "pick"?}, {"container"}, {"network"}, {"link"}';
  const o = isObj(raw) ? raw : c.fail(field, raw, forms);
  if ("role" in o) {
    c.keys(o, field, ["role", "pick"]);
    // Which roles exist is the stack's to say (its system description); resolveTarget names the ones it has.
    const role = c.string(o.role, `${field}.role`, ROLE_NAME, "a role name: nats, postgres, toxiproxy, or a service's name or role");
    const pick = o.pick ?? "all";
    if (pick !== "all" && pick !== "first" && !(typeof pick === "number" && Number.isInteger(pick) && pick >= 0 && pick < 16)) {
      c.fail(`${field}.pick`, pick, '"all", "first" or an index from 0 to 15');
    }
    return { role, pick: pick as "all" | "first" | number };
  }
  if ("container" in o) {
    c.keys(o, field, ["container"]);
    return { container: c.string(o.container, `${field}.container`, /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a container name") };
  }
  if ("network" in o) {
    c.keys(o, field, ["network"]);
    return { network: c.oneOf(o.network, `${field}.network`, NETWORKS) };
  }
  if ("link" in o) {
    c.keys(o, field, ["link"]);
    return { link: c.oneOf(o.link, `${field}.link`, LINKS) };
  }
  return c.fail(field, raw, forms);
}

function parameters(c: Checker, kind: FaultKind, raw: unknown, field: string): Record<string, ParameterValue> {
  const specs = KINDS[kind].parameters;
  const o = raw === undefined ? {} : c.object(raw, field);
  const names = Object.keys(specs);
  for (const k of Object.keys(o)) {
    if (!(k in specs)) c.fail(`${field}.${k}`, o[k], names.length === 0 ? `no parameters for ${kind}` : `no such parameter for ${kind}; its parameters are ${names.join(", ")}`);
  }
  const out: Record<string, ParameterValue> = {};
  for (const [k, spec] of Object.entries(specs)) {
    const value = o[k] ?? spec.default;
    if (value === undefined) continue;
    const accepted = acceptParam(spec, value);
    if (accepted === undefined) c.fail(`${field}.${k}`, value, `${describeParam(spec)} (${spec.about})`);
    out[k] = accepted;
  }
  return out;
}

function fault(c: Checker, raw: unknown, field: string): FaultSpec {
  const o = c.object(raw, field);
  c.keys(o, field, ["kind", "target", "peer", "startAfterSeconds", "durationSeconds", "parameters"]);
  const kind = c.oneOf(o.kind, `${field}.kind`, FAULT_KINDS);
  const spec = KINDS[kind];
  const t = target(c, o.target, `${field}.target`);
  const isLink = "link" in t;
  if (spec.target === "link" && !isLink) c.fail(`${field}.target`, o.target, `{"link": ${LINKS.map((l) => `"${l}"`).join(" | ")}} (${kind} is a Toxiproxy toxic)`);
  if (spec.target === "containers" && isLink) c.fail(`${field}.target`, o.target, `a role, container or network (${kind} acts on containers)`);
  const out: FaultSpec = {
    kind,
    target: t,
    startAfterSeconds: c.number(o.startAfterSeconds ?? 0, `${field}.startAfterSeconds`, 0, MAX_SECONDS),
    durationSeconds: c.number(o.durationSeconds, `${field}.durationSeconds`, 1, MAX_SECONDS),
    parameters: parameters(c, kind, o.parameters, `${field}.parameters`),
  };
  if (spec.needsPeer) {
    const peer = target(c, o.peer, `${field}.peer`);
    if ("link" in peer) c.fail(`${field}.peer`, o.peer, "a role, container or network (the other side of the partition)");
    out.peer = peer;
  } else if (o.peer !== undefined) {
    c.fail(`${field}.peer`, o.peer, `nothing: only network-partition has a peer`);
  }
  return out;
}

const NATS_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function probe(c: Checker, raw: unknown, field: string): ProbeSpec {
  const o = c.object(raw, field);
  const kind = c.oneOf(o.probe, `${field}.probe`, ["gateway-ready", "consumer-lag", "error-rate", "http"] as const);
  switch (kind) {
    case "gateway-ready":
      c.keys(o, field, ["probe"]);
      return { probe: kind };
    case "consumer-lag": {
      c.keys(o, field, ["probe", "max", "stream", "consumer"]);
      const named = NATS_NAME;
      const which = o.stream === undefined && o.consumer === undefined ? {} : { stream: c.string(o.stream, `${field}.stream`, named, "a stream name (with consumer)"), consumer: c.string(o.consumer, `${field}.consumer`, named, "a consumer name (with stream)") };
      return { probe: kind, max: c.number(o.max, `${field}.max`, 0, 1e9, true), ...which };
    }
    case "http":
      c.keys(o, field, ["probe", "service", "port", "path", "status", "maxLatencyMs"]);
      return {
        probe: kind,
        service: c.string(o.service, `${field}.service`, ROLE_NAME, "a service's name"),
        port: c.number(o.port, `${field}.port`, 1, 65_535, true),
        path: c.string(o.path, `${field}.path`, /^\/[!-~]*$/, "a path starting with /"),
        status: c.number(o.status ?? 200, `${field}.status`, 100, 599, true),
        maxLatencyMs: c.number(o.maxLatencyMs ?? 2000, `${field}.maxLatencyMs`, 1, 600_000, true),
      };
    case "error-rate":
      c.keys(o, field, ["probe", "max", "windowSeconds"]);
      return { probe: kind, max: c.number(o.max, `${field}.max`, 0, 1), windowSeconds: c.number(o.windowSeconds ?? 10, `${field}.windowSeconds`, 1, 600, true) };
  }
}

/** Checks an experiment; `where` starts every error (a file name, or "built-in experiment x"). */
export function validateExperiment(raw: unknown, where: string): Experiment {
  const c = new Checker(where);
  const o = c.object(raw, "(top level)");
  c.keys(o, "", ["name", "description", "steadyState", "method", "recoveryDeadlineSeconds"]);
  return {
    name: c.string(o.name, "name", NAME_PATTERN, "kebab-case: lower-case letters and digits in words joined by '-'"),
    description: c.string(o.description, "description"),
    steadyState: c.array(o.steadyState, "steadyState", false).map((p, i) => probe(c, p, `steadyState[${i}]`)),
    method: c.array(o.method, "method", true).map((f, i) => fault(c, f, `method[${i}]`)),
    recoveryDeadlineSeconds: c.number(o.recoveryDeadlineSeconds ?? 60, "recoveryDeadlineSeconds", 1, MAX_SECONDS),
  };
}
