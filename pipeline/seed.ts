// Seed data: a first batch of requests from the description's template before the load, each with its own key
// and its outcome in the seed ledger (the load's format), then waited for until the system's oracle shows each
// one's effect. It proves the whole path works once before anything is measured, and the load then meets
// tables that are not empty.
import * as fs from "node:fs";
import { outcomeOf, type LedgerEntry } from "../integrity/ledger";
import { poll } from "../lib/poll";
import { pendingOf, requestFor, type SystemUnderTest } from "./system";

async function send(system: SystemUnderTest, key: string, n: number, signal: AbortSignal): Promise<LedgerEntry> {
  const t = Date.now();
  const { url, init } = requestFor(system, key, n);
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(system.drive.timeoutSeconds * 1000)]) });
    await res.arrayBuffer();
    return { t, k: key, s: res.status, d: Date.now() - t };
  } catch {
    if (signal.aborted) throw signal.reason;
    return { t, k: key, s: 0, d: Date.now() - t };
  }
}

export async function seedRecords(o: { system: SystemUnderTest; prefix: string; count: number; ledgerFile: string; signal: AbortSignal }): Promise<{ acknowledged: number }> {
  const entries: LedgerEntry[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < o.count) {
        const n = next++;
        entries.push(await send(o.system, `${o.prefix}-seed-${n}`, n, o.signal));
      }
    }),
  );
  fs.writeFileSync(o.ledgerFile, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const acknowledged = entries.filter((e) => outcomeOf(e.s) === "acknowledged").length;
  if (acknowledged !== o.count) throw new Error(`${o.count - acknowledged} of ${o.count} seed requests were not acknowledged (see ${o.ledgerFile})`);
  const drained = await waitDrained(o.system, 60_000, o.signal);
  if (drained > 0) throw new Error(`${drained} seed records still without an effect after 60 s`);
  return { acknowledged };
}

/** Waits until no record is without its effect; returns how many still are at the deadline (0 when drained). */
export async function waitDrained(system: SystemUnderTest, timeoutMs: number, signal: AbortSignal): Promise<number> {
  let pending = Number.NaN;
  const r = await poll(
    async () => {
      try {
        pending = await pendingOf(system);
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
