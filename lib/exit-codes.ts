// The exit codes of cp3, in one table: the CLI returns them, a run's verdict maps onto them, and the help text
// is written from it. (The load engines' own exit codes, load/k6.ts and load/loadgen.ts, are theirs, not these.)

export const EXIT = {
  /** Success; for a run: the verdict is ready. */
  ok: 0,
  /** The verdict failed: an SLO gate, an experiment's steady state, a fault left behind, an integrity invariant. */
  verdict: 1,
  /** An infrastructure or usage error: one line says what was wrong and what is accepted. */
  usage: 2,
  /** Interrupted by SIGINT or SIGTERM (the clean-up still ran). */
  interrupted: 130,
} as const;

export type ExitName = keyof typeof EXIT;
export type ExitCode = (typeof EXIT)[ExitName];

/** Each code's meaning in a few words, as the help text gives it. */
export const EXIT_MEANING: Record<ExitName, string> = {
  ok: "success",
  verdict: "verdict failed",
  usage: "infrastructure or usage error",
  interrupted: "interrupted",
};

/**
 * "0 success, 1 verdict failed, 2 infrastructure or usage error, 130 interrupted"; a verb may word a meaning its
 * own way (`run` says "0 ready").
 */
export function describeExitCodes(wording: Partial<Record<ExitName, string>> = {}): string {
  return (Object.keys(EXIT) as ExitName[]).map((name) => `${EXIT[name]} ${wording[name] ?? EXIT_MEANING[name]}`).join(", ");
}
