// The CP3 run's options, checked before anything is created: each mistake names the flag, what it got and
// what is allowed.
import { checkStackName } from "../lifecycle/stacks";
import { parseStackSettings, type StackSettings } from "./stack-settings";
import { namedForKubernetes } from "../lib/pulumi-env";
import { findCampaign, findExperiment, loadCampaignFile, loadExperimentFile, planCampaign, planSchedule, type Campaign, type Experiment, type PlannedExperiment } from "../chaos";
import { UsageError } from "../lib/usage-error";
import type { EngineName } from "../load/engine";
import { PROFILE_SPECS, PROFILES, type Profile } from "../load/plan";
import { engineName } from "../load/select";

export { PROFILES, type Profile };

/** The experiments `npm run cp3` runs by default: faults the workload must ride out with no client error. */
export const DEFAULT_EXPERIMENTS = ["worker-kill", "nats-restart"];
/** The same on a Kubernetes stack: a worker pod deleted (its Deployment replaces it), a worker cut off from NATS. */
export const DEFAULT_KUBERNETES_EXPERIMENTS = ["worker-pod-delete", "worker-nats-pod-partition"];


export interface RunOptions {
  /** Undefined: a fresh ci stack named after the run. */
  stack?: string;
  profile: Profile;
  durationSeconds: number;
  /** Undefined: the profile's rate. */
  rate?: number;
  /** The experiments' names, in order. */
  experiments: string[];
  /** The experiments themselves: built-ins, or loaded from JSON files. */
  definitions: Experiment[];
  seed: number;
  /** When each experiment starts, in seconds since the load started (from the seed), and in which lane. */
  schedule: PlannedExperiment[];
  /** --campaign: the experiments, how often and which overlap; the schedule is drawn from it. */
  campaign?: Campaign;
  /** Share a service's RSS may grow after the warm-up in a soak or campaign run (0.1: 10 %). */
  maxRssGrowth: number;
  /** --strict-scan: a pending Debian security update or an image check finding fails the verdict. */
  strictScan: boolean;
  keep: boolean;
  reportDir: string;
  /** The load engine: loadgen (default) or the user's own k6. */
  engine: EngineName;
  /** --k6: the k6 binary, with --engine k6. */
  k6?: string;
  /** --system and --trust-host-cas, put on the stack before its update. */
  settings: StackSettings;
}

export function parseDurationFlag(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"] : Number.NaN;
  if (!(seconds >= 10 && seconds <= 7 * 24 * 3600)) {
    throw new UsageError(`--duration: got "${text}"; allowed: a whole number with s, m or h, from 10s to 168h (e.g. 90s, 10m, 24h)`);
  }
  return seconds;
}

export function parseRunOptions(values: Record<string, string | boolean | undefined>): RunOptions {
  const str = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const profile = str("profile") ?? "smoke";
  if (!PROFILES.includes(profile as Profile)) throw new UsageError(`--profile: got "${profile}"; allowed: ${PROFILES.join(", ")}`);
  const stack = str("stack");
  if (stack !== undefined) checkStackName(stack);
  const durationSeconds = str("duration") !== undefined ? parseDurationFlag(str("duration")!) : PROFILE_SPECS[profile as Profile].seconds;
  let rate: number | undefined;
  if (str("rate") !== undefined) {
    rate = Number(str("rate"));
    if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) throw new UsageError(`--rate: got "${str("rate")}"; allowed: a whole number of requests per second from 1 to 100000`);
  }
  const list = str("experiments");
  const campaignName = str("campaign");
  if (campaignName !== undefined && list !== undefined) throw new UsageError(`--campaign and --experiments: got both; allowed: one of them (a campaign names its own experiments)`);
  let campaign: Campaign | undefined;
  if (campaignName !== undefined) {
    try {
      campaign = campaignName.endsWith(".json") ? loadCampaignFile(campaignName) : findCampaign(campaignName);
    } catch (err) {
      throw new UsageError(`--campaign: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let maxRssGrowth = 0.1;
  if (str("max-rss-growth") !== undefined) {
    maxRssGrowth = Number(str("max-rss-growth")) / 100;
    if (!(maxRssGrowth >= 0 && maxRssGrowth <= 10) || str("max-rss-growth")!.trim() === "") throw new UsageError(`--max-rss-growth: got "${str("max-rss-growth")}"; allowed: a percentage from 0 to 1000 (default 10)`);
  }
  const defaults = stack !== undefined && (namedForKubernetes(stack) || stack === "staging") ? DEFAULT_KUBERNETES_EXPERIMENTS : DEFAULT_EXPERIMENTS;
  const items = list === undefined ? defaults : list === "none" || list === "" ? [] : list.split(",").map((s) => s.trim());
  // A built-in's name, or the path of an experiment file (JSON, as in chaos/examples).
  const definitions = campaign ? campaign.entries.map((e) => e.experiment) : items.map((item) => {
    try {
      return item.endsWith(".json") ? loadExperimentFile(item) : findExperiment(item);
    } catch (err) {
      throw new UsageError(`--experiments: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  const experiments = definitions.map((d) => d.name);
  if (new Set(experiments).size !== experiments.length) throw new UsageError(`--experiments: got "${list}"; each experiment may be named once`);
  let seed = Math.floor(Math.random() * 2 ** 31);
  if (str("seed") !== undefined) {
    seed = Number(str("seed"));
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new UsageError(`--seed: got "${str("seed")}"; allowed: a whole number from 0 to 2147483647`);
  }
  let schedule: RunOptions["schedule"];
  try {
    schedule = campaign ? planCampaign(campaign, seed, durationSeconds) : planSchedule(definitions, seed, durationSeconds);
  } catch (err) {
    throw new UsageError(`${campaign ? "--campaign" : "--experiments"} with --duration: ${err instanceof Error ? err.message : String(err)}`);
  }
  const engine = engineName({ engine: str("engine"), k6: str("k6") });
  const settings = parseStackSettings(values);
  return { stack, profile: profile as Profile, durationSeconds, rate, experiments, definitions, seed, schedule, ...(campaign ? { campaign } : {}), maxRssGrowth, strictScan: values["strict-scan"] === true, keep: values.keep === true, reportDir: str("report-dir") ?? "report", engine, ...(str("k6") !== undefined ? { k6: str("k6") } : {}), settings };
}
