// Seed data: a first batch of requests from the description's template before the load, each with its own key
// and its outcome in the seed ledger (the load's format), then waited for until the system's oracle shows each
// one's effect. It proves the whole path works once before anything is measured, and the load then meets
// tables that are not empty.
import * as fs from "node:fs";
import { outcomeOf, type LedgerEntry } from "../integrity/ledger";
import { NatsMonitorClient } from "../lib/nats-monitor";
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

/** Messages the stack's consumers have not had acknowledged yet (pending, or delivered and not acked), and their longest ack wait in ms. */
async function consumerBacklog(nats: NatsMonitorClient): Promise<{ backlog: number; longestAckWaitMs: number } | undefined> {
  const consumers = await nats.consumers().catch(() => undefined);
  if (!consumers) return undefined;
  return { backlog: consumers.reduce((n, c) => n + c.pending + c.ackPending, 0), longestAckWaitMs: Math.max(0, ...consumers.map((c) => c.ackWaitMs)) };
}

/**
 * Waits until no consumer holds a message still to be acknowledged. A record can be processed (its effect in the
 * database) while its message is not acknowledged: a consumer killed between its commit and its ack leaves it to
 * come back after the ack wait, and be acknowledged then. Bounded by the longest ack wait and 10 s more (at most
 * 10 min); returns the backlog left (0 when settled; NaN when the NATS monitor did not answer).
 */
export async function waitAcksSettled(natsMonitorUrl: string, signal: AbortSignal): Promise<number> {
  const nats = new NatsMonitorClient(natsMonitorUrl);
  const first = await consumerBacklog(nats);
  if (!first) return Number.NaN;
  let backlog = first.backlog;
  if (backlog === 0) return 0;
  const r = await poll(
    async () => {
      backlog = (await consumerBacklog(nats))?.backlog ?? Number.NaN;
      return backlog === 0 ? backlog : undefined;
    },
    { timeoutMs: Math.min(first.longestAckWaitMs + 10_000, 600_000), intervalMs: 1000, signal, what: "no message still to be acknowledged" },
  );
  if (!r.done && r.why === "aborted") throw signal.reason;
  return backlog;
}
