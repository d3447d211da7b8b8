// One AbortSignal for the whole command, fired by SIGINT or SIGTERM, so the running step is cancelled and the
// clean-up in `finally` still runs (the process is never killed from inside a handler).

export interface Interrupt {
  signal: AbortSignal;
  /** The signal's name once one arrived. */
  received(): NodeJS.Signals | undefined;
  dispose(): void;
}

export function onInterrupt(log: (message: string) => void): Interrupt {
  const controller = new AbortController();
  let got: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (got) {
      log(`${sig} again: still cleaning up, please wait`);
      return;
    }
    got = sig;
    log(`${sig} received: cancelling the running step, then cleaning up`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    received: () => got,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
