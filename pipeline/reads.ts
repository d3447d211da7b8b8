// Reads during the load: every few seconds, the keys whose result was committed since the last read. The final
// read after the drain then shows whether anything a read had seen has vanished (what a restart of PostgreSQL
// on tmpfs would do), which Jepsen counts as the clearest kind of loss.
import type { ReadsDuringLoad } from "../integrity/check";
import { readProcessedSince } from "../integrity/database";

export interface ReadLoop {
  stop(): Promise<ReadsDuringLoad & { failed: number }>;
}

export function startReads(postgres: string, everyMs: number): ReadLoop {
  const seen = new Set<string>();
  let count = 0;
  let failed = 0;
  let since: string | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (stopped) break;
      try {
        const r = await readProcessedSince(postgres, since);
        for (const k of r.keys) seen.add(k);
        since = r.newest;
        count++;
      } catch {
        failed++; // PostgreSQL down under a fault: this read is skipped, the next one catches up
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { seen, count, failed };
    },
  };
}
