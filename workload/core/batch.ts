// Group commit: items that arrive while earlier batches are in flight are sent together, as one statement in
// one transaction, once a slot is free. An item that finds a slot free goes at once, alone (no added wait, and
// no waiting for the event loop's turn, which a worker's synthetic work can hold for long); under load batches
// grow on their own, so each transaction, round trip and WAL flush is shared by many items, and every item is
// still answered only after its own batch committed.

export interface BatchOptions {
  /** Batches in flight at once (each holds one pooled connection). */
  maxInFlight: number;
  /** Items per batch at most. */
  maxBatch: number;
}

/**
 * `run` gets a batch and answers each item in order: a value, or an Error for that item alone. When it throws,
 * every item of the batch fails with that error.
 */
export type BatchRunner<I, O> = (items: I[]) => Promise<(O | Error)[]>;

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

export function createBatcher<I, O>(run: BatchRunner<I, O>, o: BatchOptions): (item: I) => Promise<O> {
  const queue: Waiting<I, O>[] = [];
  let inFlight = 0;

  async function send(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await run(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        const r = results[i];
        if (r instanceof Error) w.reject(r);
        else if (r === undefined) w.reject(new Error("batch runner gave no answer for an item"));
        else w.resolve(r);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  function pump(): void {
    while (inFlight < o.maxInFlight && queue.length > 0) {
      inFlight++;
      void send(queue.splice(0, o.maxBatch)).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
}
