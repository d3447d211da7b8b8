// Seed data: a first batch of records posted before the load, each with its own key and its outcome in the
// seed ledger (same format as k6's), then waited for until processed. It proves the whole path works once
// before anything is measured, and the load then meets tables that are not empty.
import * as fs from "node:fs";
import type { LedgerEntry } from "../integrity/ledger";
import { pendingCount } from "../integrity/database";
import { poll } from "../lib/poll";

async function post(gatewayUrl: string, key: string, n: number, signal: AbortSignal): Promise<LedgerEntry> {
  const t = Date.now();
  try {
    const res = await fetch(`${gatewayUrl}/v1/records`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ payload: { n, seed: true } }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    });
    await res.arrayBuffer();
    return { t, k: key, s: res.status, d: Date.now() - t };
  } catch {
    if (signal.aborted) throw signal.reason;
    return { t, k: key, s: 0, d: Date.now() - t };
  }
}

export async function seedRecords(o: { gatewayUrl: string; postgres: string; prefix: string; count: number; ledgerFile: string; signal: AbortSignal }): Promise<{ acknowledged: number }> {
  const entries: LedgerEntry[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < o.count) {
        const n = next++;
        entries.push(await post(o.gatewayUrl, `${o.prefix}-seed-${n}`, n, o.signal));
      }
    }),
  );
  fs.writeFileSync(o.ledgerFile, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const acknowledged = entries.filter((e) => e.s === 202).length;
  if (acknowledged !== o.count) throw new Error(`${o.count - acknowledged} of ${o.count} seed records were not accepted (see ${o.ledgerFile})`);
  const drained = await waitDrained(o.postgres, 60_000, o.signal);
  if (drained > 0) throw new Error(`${drained} seed records still pending after 60 s`);
  return { acknowledged };
}

/** Waits until no record is pending; returns how many still are at the deadline (0 when drained). */
export async function waitDrained(postgres: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  let pending = Number.NaN;
  const r = await poll(
    async () => {
      try {
        pending = await pendingCount(postgres);
      } catch {
        pending = Number.NaN; // PostgreSQL still restarting: ask again
      }
      return pending === 0 ? pending : undefined;
    },
    { timeoutMs, intervalMs: 1000, signal, what: "no record pending" },
  );
  if (!r.done && r.why === "aborted") throw signal.reason;
  return pending;
}
