// Small HTTP probes for health gates: bounded in time, local addresses only.

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

/** Polls until `url` answers 200 or the deadline passes; returns the last status seen. */
export async function waitForOk(url: string, deadlineMs: number, signal?: AbortSignal): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  let last = 0;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      last = (await getJson(url, 2_000)).status;
      if (last === 200) return last;
    } catch {
      last = 0;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}
