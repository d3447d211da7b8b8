// A verb's work with Ctrl-C and SIGTERM turned into an abort signal: an interrupted verb exits 130, whatever
// the work threw on its way out.
import { EXIT } from "../lib/exit-codes";
import { onInterrupt } from "../lib/interrupt";
import { say } from "../lib/progress";

export async function interruptible(work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const interrupt = onInterrupt(say);
  try {
    return await work(interrupt.signal);
  } catch (err) {
    if (interrupt.received()) return EXIT.interrupted;
    throw err;
  } finally {
    interrupt.dispose();
  }
}
