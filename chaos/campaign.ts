// A campaign (Jepsen's nemesis schedule): a set of experiments, each repeated by count, by mean interval or by
// weight, drawn over the whole load with a warm-up before the first fault and a quiet tail before the drain.
// Experiments marked `overlap` run in a second lane alongside the others, so faults combine.
import * as fs from "node:fs";
import { findExperiment, withDuration } from "./builtins";
import { Checker, ExperimentError, MAX_SECONDS, NAME_PATTERN, validateExperiment } from "./validate";
import type { Experiment } from "./types";

/** The lane an experiment runs in: one experiment at a time per lane, the two lanes side by side. */
export type Lane = "main" | "overlap";

export interface CampaignEntry {
  experiment: Experiment;
  /** Exactly one of count, meanIntervalSeconds and weight says how often it runs. */
  count?: number;
  meanIntervalSeconds?: number;
  weight?: number;
  /** True: runs in the overlap lane, whatever else is in place, and does not wait for the steady state first. */
  overlap: boolean;
}

/** Gates of the load for a campaign run, in place of the profile's (many faults in a row cost some requests). */
export interface CampaignSlo {
  p95Ms: number;
  p99Ms: number;
  maxFailedRate: number;
}

export interface Campaign {
  name: string;
  description: string;
  /** Load before the first fault. @default 60 */
  warmupSeconds: number;
  /** Load after the last fault, before the drain. @default 60 */
  quietTailSeconds: number;
  /** The mean interval of the weighted entries' shared draw; needed when any entry has a weight. */
  meanIntervalSeconds?: number;
  /** Recovery time the plan counts per experiment (the run waits for the real one). @default 5 */
  recoveryAllowanceSeconds: number;
  /** How long an experiment of the main lane waits for the steady state before it gives up (skipped). @default 60 */
  beforeWaitSeconds: number;
  /** NATS servers the stack needs (3: the JetStream cluster, set on the stack before its update). @default 1 */
  natsReplicas: 1 | 3;
  slo?: CampaignSlo;
  entries: CampaignEntry[];
}

const ENTRY_KEYS = ["experiment", "count", "meanIntervalSeconds", "weight", "overlap", "durationSeconds"];

function entry(c: Checker, raw: unknown, field: string): CampaignEntry {
  const o = c.object(raw, field);
  c.keys(o, field, ENTRY_KEYS);
  let exp: Experiment;
  if (typeof o.experiment === "string") {
    try {
      exp = findExperiment(o.experiment);
    } catch (err) {
      c.fail(`${field}.experiment`, o.experiment, `a built-in experiment's name or an experiment object; ${(err as Error).message.replace(/^.*: the built-in/, "the built-in")}`);
    }
  } else if (typeof o.experiment === "object" && o.experiment !== null && !Array.isArray(o.experiment)) {
    // Its errors name the path inside the campaign: "<file>: experiments[2].experiment: method[0].kind: got ...".
    exp = validateExperiment(o.experiment, `${c.where}: ${field}.experiment`);
  } else {
    c.fail(`${field}.experiment`, o.experiment, "a built-in experiment's name or an experiment object");
  }
  if (o.durationSeconds !== undefined) exp = withDuration(exp, c.number(o.durationSeconds, `${field}.durationSeconds`, 1, MAX_SECONDS));
  const how = (["count", "meanIntervalSeconds", "weight"] as const).filter((k) => o[k] !== undefined);
  if (how.length !== 1) c.fail(field, how.length === 0 ? undefined : how.join(" and "), "exactly one of count, meanIntervalSeconds and weight");
  if (o.overlap !== undefined && typeof o.overlap !== "boolean") c.fail(`${field}.overlap`, o.overlap, "true or false");
  const out: CampaignEntry = { experiment: exp, overlap: o.overlap === true };
  if (o.count !== undefined) out.count = c.number(o.count, `${field}.count`, 1, 10_000, true);
  if (o.meanIntervalSeconds !== undefined) out.meanIntervalSeconds = c.number(o.meanIntervalSeconds, `${field}.meanIntervalSeconds`, 1, 86_400);
  if (o.weight !== undefined) out.weight = c.number(o.weight, `${field}.weight`, 0.001, 1000);
  return out;
}

/** Checks a campaign; `where` starts every error (a file name, or "built-in campaign x"). */
export function validateCampaign(raw: unknown, where: string): Campaign {
  const c = new Checker(where);
  const o = c.object(raw, "(top level)");
  c.keys(o, "", ["name", "description", "warmupSeconds", "quietTailSeconds", "meanIntervalSeconds", "recoveryAllowanceSeconds", "beforeWaitSeconds", "natsReplicas", "slo", "experiments"]);
  const entries = c.array(o.experiments, "experiments", true).map((e, i) => entry(c, e, `experiments[${i}]`));
  const names = entries.map((e) => e.experiment.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) c.fail("experiments", twice, "each experiment once (give a repeated one a count or an interval instead)");
  const weighted = entries.some((e) => e.weight !== undefined);
  if (weighted && o.meanIntervalSeconds === undefined) c.fail("meanIntervalSeconds", undefined, "a number of seconds: entries with a weight share one draw at this mean interval");
  if (!weighted && o.meanIntervalSeconds !== undefined) c.fail("meanIntervalSeconds", o.meanIntervalSeconds, "nothing: no entry has a weight");
  let slo: CampaignSlo | undefined;
  if (o.slo !== undefined) {
    const s = c.object(o.slo, "slo");
    c.keys(s, "slo", ["p95Ms", "p99Ms", "maxFailedRate"]);
    slo = { p95Ms: c.number(s.p95Ms, "slo.p95Ms", 1, 600_000), p99Ms: c.number(s.p99Ms, "slo.p99Ms", 1, 600_000), maxFailedRate: c.number(s.maxFailedRate, "slo.maxFailedRate", 0, 1) };
  }
  const replicas = o.natsReplicas ?? 1;
  if (replicas !== 1 && replicas !== 3) c.fail("natsReplicas", o.natsReplicas, "1 or 3 (a JetStream cluster needs a majority)");
  const natsReplicas = replicas as 1 | 3;
  return {
    name: c.string(o.name, "name", NAME_PATTERN, "kebab-case: lower-case letters and digits in words joined by '-'"),
    description: c.string(o.description, "description"),
    warmupSeconds: c.number(o.warmupSeconds ?? 60, "warmupSeconds", 0, MAX_SECONDS),
    quietTailSeconds: c.number(o.quietTailSeconds ?? 60, "quietTailSeconds", 0, MAX_SECONDS),
    ...(weighted ? { meanIntervalSeconds: c.number(o.meanIntervalSeconds, "meanIntervalSeconds", 1, 86_400) } : {}),
    recoveryAllowanceSeconds: c.number(o.recoveryAllowanceSeconds ?? 5, "recoveryAllowanceSeconds", 0, MAX_SECONDS),
    beforeWaitSeconds: c.number(o.beforeWaitSeconds ?? 60, "beforeWaitSeconds", 1, MAX_SECONDS),
    natsReplicas,
    ...(slo ? { slo } : {}),
    entries,
  };
}

export function loadCampaignFile(file: string): Campaign {
  if (!file.endsWith(".json")) throw new ExperimentError(`${file}: got a file that does not end in .json; allowed: a JSON file (YAML is not supported)`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ExperimentError(`${file}: ${code ? `cannot be read (${code})` : `not valid JSON (${(err as Error).message})`}`);
  }
  return validateCampaign(raw, file);
}
