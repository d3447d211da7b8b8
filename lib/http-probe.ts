// Small HTTP probes for health gates: bounded in time, local addresses only.
import { poll } from "./poll";

export async function getJson<T = unknown>(url: string, timeoutMs = 5_000): Promise<{ status: number; body: T | undefined }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: T | undefined;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

/** Polls until `url` answers 200 or the deadline passes (or the signal aborts); returns the last status seen (0: no answer). */
export async function waitForOk(url: string, deadlineMs: number, signal?: AbortSignal): Promise<number> {
  let last = 0;
  await poll(
    async () => {
      try {
        last = (await getJson(url, 2_000)).status;
      } catch {
        last = 0;
      }
      return last === 200 ? last : undefined;
    },
    { timeoutMs: deadlineMs, intervalMs: 500, signal, what: `HTTP 200 from ${url}` },
  );
  return last;
}
