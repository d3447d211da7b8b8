// Polling, in one place: ask a probe again and again, a fixed interval apart, until it gives a value, the time is
// up or the signal aborts. Every wait of the project that polls (an engine's socket, a URL, a container coming
// back, a queue draining, a steady state holding again) goes through here, so they all give up the same way.
//
// The rules, the same for every caller:
//   - an aborted signal ends the polling before the next probe (and cuts the pause before it short): after an
//     interrupt nothing is asked again;
//   - otherwise the probe runs at least once, even with no time left; after a probe that gave nothing, a
//     deadline that has passed ends the polling, else there is a pause of `intervalMs`, shortened to what is
//     left of the time, so the last probe falls on the deadline rather than an interval after it;
//   - a probe that throws ends the polling with its error: a probe that should ride out failures (an engine
//     restarting, PostgreSQL still starting) catches them itself and says what it saw with `note`.

export interface PollOptions {
  /** How long to keep asking, from the first probe. */
  timeoutMs: number;
  /** The pause between two probes. */
  intervalMs: number;
  /** Ends the polling (and the pause between probes) early. */
  signal?: AbortSignal;
  /** What is waited for, for the timeout's message: "the Docker engine's socket", "no record pending". */
  what: string;
}

/** A probe: resolves to the value waited for, or to undefined for "not yet" (after noting what it saw). */
export type Probe<T> = (note: (observation: string) => void) => Promise<T | undefined>;

export type PollOutcome<T> =
  | { done: true; value: T; probes: number }
  | { done: false; why: "timeout" | "aborted"; probes: number; /** The last thing a probe noted, if any. */ last?: string };

/** The polling gave up at its deadline; the message names what was waited for and the last observation. */
export class PollTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly probes: number,
    readonly last: string | undefined,
  ) {
    super(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${probes} probe${probes === 1 ? "" : "s"}; last seen: ${last ?? "nothing noted"})`);
    this.name = "PollTimeoutError";
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Polls and says how it ended, without throwing for a timeout or an abort (for waits that report rather than fail). */
export async function poll<T>(probe: Probe<T>, o: PollOptions): Promise<PollOutcome<T>> {
  const deadline = Date.now() + o.timeoutMs;
  let last: string | undefined;
  const note = (observation: string) => {
    last = observation;
  };
  let probes = 0;
  for (;;) {
    if (o.signal?.aborted) return { done: false, why: "aborted", probes, last };
    const value = await probe(note);
    probes++;
    if (value !== undefined) return { done: true, value, probes };
    const left = deadline - Date.now();
    if (left <= 0) return { done: false, why: "timeout", probes, last };
    await sleep(Math.min(o.intervalMs, left), o.signal);
  }
}

/**
 * Polls until the probe gives a value and returns it; at the deadline, throws a PollTimeoutError naming `what` and
 * the last observation; when the signal aborts, throws the signal's reason.
 */
export async function pollUntil<T>(probe: Probe<T>, o: PollOptions): Promise<T> {
  const r = await poll(probe, o);
  if (r.done) return r.value;
  if (r.why === "aborted") throw o.signal?.reason ?? new Error(`aborted while waiting for ${o.what}`);
  throw new PollTimeoutError(o.what, o.timeoutMs, r.probes, r.last);
}
