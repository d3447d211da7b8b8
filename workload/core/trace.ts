// W3C trace context: the traceparent header, carried from the HTTP request through NATS headers into the
// worker's logs and the stored row.
import { randomFillSync } from "node:crypto";

// Random hex from a pool refilled 4 KiB at a time: a randomBytes call per id costs a native call and a
// buffer each time, a measurable share of a request at a few thousand per second.
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString("hex", used - bytes, used);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | undefined): { traceId: string; parentId: string; flags: string } | undefined {
  const m = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, parentId: m[2]!, flags: m[3]! };
}

/** The traceparent for this hop: the caller's trace with a new span id, or a new trace. */
export function nextTraceparent(incoming: string | undefined): string {
  const parent = parseTraceparent(incoming);
  const traceId = parent?.traceId ?? randomHex(16);
  return `00-${traceId}-${randomHex(8)}-${parent?.flags ?? "01"}`;
}
