// Waiting that an interrupt cuts short: faults are held by sleeping, and SIGINT must end the hold at once so
// the rollback runs.

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

/** The promise's value, or `fallback` once `ms` pass or `signal` aborts, whichever comes first. */
export async function within<T>(work: Promise<T>, ms: number, fallback: T, signal?: AbortSignal): Promise<T> {
  // A private signal ends the timer as soon as the race is decided, so no timer outlives the call.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  try {
    return await Promise.race([work, sleep(ms, stop.signal).then(() => fallback)]);
  } finally {
    stop.abort();
    signal?.removeEventListener("abort", onAbort);
  }
}
