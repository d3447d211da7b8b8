// The trace ids of a run's requests. The load generator sends each request n a traceparent whose trace id is
// the first 8 bytes of SHA-256(keyPrefix) followed by n (toolchain/loadgen/traceparent.go), so the run finds the
// trace of every acknowledged record from its key alone, in any system that carries W3C trace context.
import { createHash } from "node:crypto";

const headOf = (keyPrefix: string): string => createHash("sha256").update(keyPrefix).digest("hex").slice(0, 16);

/** The trace id of request n of a load whose keys are `<keyPrefix>-<n>`. */
export function traceIdOf(keyPrefix: string, n: number): string {
  return headOf(keyPrefix) + BigInt(n).toString(16).padStart(16, "0");
}

/** The request number in a load key `<keyPrefix>-<n>`; undefined for a key of another prefix. */
export function requestNumberOf(keyPrefix: string, key: string): number | undefined {
  if (!key.startsWith(`${keyPrefix}-`)) return undefined;
  const rest = key.slice(keyPrefix.length + 1);
  return /^(0|[1-9][0-9]{0,14})$/.test(rest) ? Number(rest) : undefined;
}

/** Whether request n was marked sampled when one in `every` is. */
export const sampledRequest = (n: number, every: number): boolean => n % every === 0;
