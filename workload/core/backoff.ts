// Exponential backoff with full jitter and a cap, for every reconnect and retry: the delay is uniform in
// [0, min(cap, base * 2^attempt)), so many clients retrying at once spread out instead of retrying in step.

export interface Backoff {
  baseMs: number;
  capMs: number;
}

export function fullJitterDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(b.capMs, b.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
