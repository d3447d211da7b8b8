// Reads during the load: every few seconds, the keys the system's oracle shows with an effect. The final read
// after the drain then shows whether anything a read had seen has vanished (what a restart of PostgreSQL on
// tmpfs would do), which Jepsen counts as the clearest kind of loss. The oracle answers for every record, so
// the pause between reads grows with what a read costs: at most a tenth of the time goes to reading.
import type { ReadsDuringLoad } from "../integrity/check";
import { ask, type SystemUnderTest } from "./system";

export interface ReadLoop {
  stop(): Promise<ReadsDuringLoad & { failed: number }>;
}

export function startReads(system: SystemUnderTest, everyMs: number): ReadLoop {
  const seen = new Set<string>();
  let count = 0;
  let failed = 0;
  let pause = everyMs;
  const stopped = new AbortController();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopped.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  const loop = (async () => {
    if (!system.oracle) return; // nothing to read: the integrity step says "not checked"
    while (!stopped.signal.aborted) {
      await sleep(pause);
      if (stopped.signal.aborted) break;
      const t0 = Date.now();
      try {
        for (const row of await ask(system, 60_000)) if (row.effects > 0) seen.add(row.key);
        count++;
      } catch {
        failed++; // PostgreSQL down under a fault: this read is skipped, the next one catches up
      }
      pause = Math.max(everyMs, 9 * (Date.now() - t0));
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      return { seen, count, failed };
    },
  };
}
