// The ledger: one JSON line per request, written by the load engine (loadgen, or k6 through loadtests/lib/ledger.js) and by the
// driver's seeding step. It is the client's side of the truth: what was attempted and what was acknowledged.
import * as fs from "node:fs";
import * as readline from "node:readline";

export interface LedgerEntry {
  /** Request start, ms since the epoch. */
  t: number;
  /** Idempotency key. */
  k: string;
  /** HTTP status; 0 when no answer came (timeout, connection refused). */
  s: number;
  /** Duration in ms. */
  d: number;
  /** Why there was no answer, in k6's error codes (both engines use them): 1050 timeout, 1212 refused, 1220 reset. */
  e?: number;
}

export type Outcome = "acknowledged" | "rejected" | "unknown";

/** 2xx: acknowledged. 4xx: rejected (the gateway said no and stored nothing). 5xx or no answer: unknown. */
export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return "acknowledged";
  if (status >= 400 && status < 500) return "rejected";
  return "unknown";
}

export function parseLedgerLine(line: string, where: string): LedgerEntry | undefined {
  if (line.trim() === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not a JSON line: ${line.slice(0, 120)}`);
  }
  const e = v as Partial<LedgerEntry>;
  if (typeof e.t !== "number" || typeof e.k !== "string" || typeof e.s !== "number" || typeof e.d !== "number") {
    throw new Error(`${where}: expected {"t": number, "k": string, "s": number, "d": number}, got ${line.slice(0, 120)}`);
  }
  return e as LedgerEntry;
}

/** Hands every entry of the ledger files to `each`, line by line, keeping none (a soak's ledger can hold millions). */
export async function forEachLedgerEntry(files: string[], each: (e: LedgerEntry) => void): Promise<void> {
  for (const file of files) {
    if (!fs.existsSync(file)) throw new Error(`ledger ${file} does not exist`);
    const lines = readline.createInterface({ input: fs.createReadStream(file, "utf8"), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      const entry = parseLedgerLine(line, `${file}:${n}`);
      if (entry) each(entry);
    }
  }
}

/** Reads ledger files whole, for the integrity check, which needs every key. */
export async function readLedger(files: string[]): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  await forEachLedgerEntry(files, (e) => entries.push(e));
  return entries;
}

/**
 * Follows a ledger while the engine writes it, for live progress and for the chaos probes' client error rate.
 * Only whole lines are taken; a half-written last line waits for the next poll.
 */
export class LedgerTail {
  private offset = 0;
  private partial = "";
  private readonly recent: { end: number; ok: boolean }[] = [];
  total = 0;
  acknowledged = 0;

  constructor(private readonly file: string) {}

  poll(): void {
    if (!fs.existsSync(this.file)) return;
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) return;
    const fd = fs.openSync(this.file, "r");
    try {
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.partial + buf.toString("utf8")).split("\n");
      this.partial = lines.pop() ?? "";
      for (const line of lines) {
        const e = parseLedgerLine(line, this.file);
        if (!e) continue;
        const ok = outcomeOf(e.s) === "acknowledged";
        this.total++;
        if (ok) this.acknowledged++;
        this.recent.push({ end: e.t + e.d, ok });
      }
    } finally {
      fs.closeSync(fd);
    }
    const horizon = Date.now() - 300_000;
    while (this.recent.length > 0 && this.recent[0]!.end < horizon) this.recent.shift();
  }

  /** Share of requests that ended in the last `seconds` without an acknowledgement; 0 when there were none. */
  errorRate(seconds: number): number {
    this.poll();
    const since = Date.now() - seconds * 1000;
    let n = 0;
    let bad = 0;
    for (const r of this.recent) {
      if (r.end < since) continue;
      n++;
      if (!r.ok) bad++;
    }
    return n === 0 ? 0 : bad / n;
  }
}
