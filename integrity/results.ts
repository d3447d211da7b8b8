// What the integrity check reports: the keys lost, duplicated, unexpected or unknown, and whether it passed. The
// integrity library owns these types; a run's report (reporting/model.ts) carries them as they are.

/** When a lost key was acknowledged relative to the reads that looked for it (Jepsen's split). */
export interface LostKey {
  key: string;
  acknowledgedAt: number;
  when: "before-first-read" | "between-reads" | "after-last-read";
  /** True when a read saw it processed and a later read did not (it vanished), false when never seen. */
  seenThenGone: boolean;
}

export interface UnknownKey {
  key: string;
  /** The client's outcome: a 5xx status or "timeout". */
  outcome: string;
  /** Whether the record nevertheless appeared (processed) in the final read. */
  appeared: boolean;
}

export interface IntegrityResult {
  attempted: number;
  acknowledged: number;
  processed: number;
  /** Acknowledged and never processed. */
  lost: LostKey[];
  /** Keys with more than one effect (a second record, or a second result, for one key). */
  duplicates: { key: string; effects: number }[];
  /** Processed but never attempted by the load. */
  unexpected: string[];
  /** Timeouts and 5xx: the client cannot know whether they were accepted. */
  unknown: UnknownKey[];
  /** The client was told no (4xx) and the record was processed anyway. */
  rejectedButProcessed?: string[];
  /** Records dead-lettered (poison), which are not losses but are listed. */
  dead: number;
  reads: number;
  passed: boolean;
}
