// Structured JSON logs (pino). Configured fields are masked wherever they appear, and e-mail addresses are
// masked inside any string, so secrets and personal data never reach the log.
import { pino, type Logger } from "pino";

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
export const MASK = "[masked]";

/** Masks configured keys (case-insensitive, at any depth) and e-mail addresses in strings. */
export function mask(value: unknown, fields: ReadonlySet<string>, depth = 0): unknown {
  if (typeof value === "string") return value.replace(EMAIL, MASK);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => mask(v, fields, depth + 1));
  if (value instanceof Error) return { type: value.name, message: mask(value.message, fields), stack: value.stack };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fields.has(k.toLowerCase()) ? MASK : mask(v, fields, depth + 1)]));
}

export function createLogger(opts: { level: string; flow: string; instance: string; maskFields: string[] }): Logger {
  const fields = new Set(opts.maskFields.map((f) => f.toLowerCase()));
  return pino({
    level: opts.level,
    base: { flow: opts.flow, instance: opts.instance },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => mask(obj, fields) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        // Mask the message text too (e-mail addresses typed into it).
        method.apply(this, args.map((a) => (typeof a === "string" ? (mask(a, fields) as string) : a)) as Parameters<typeof method>);
      },
    },
  });
}
