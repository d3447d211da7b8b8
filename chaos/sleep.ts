// Waiting that an interrupt cuts short: faults are held by sleeping, and SIGINT must end the hold at once so
// the rollback runs. The sleep itself is lib/poll's, the one every poll pauses with.
import { sleep } from "../lib/poll";

export { sleep };

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
