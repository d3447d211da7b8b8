// The start of every flow: settings (every bad variable listed, then exit 2 before anything is served), the
// JSON logger, the metrics registry, the tracer, and the alert it sends before stopping on a fatal error.
import type { Logger } from "pino";
import { stopOnFatal } from "./fatal.ts";
import { createLogger } from "./log.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { commonSchema, readSettings, SettingsError, type Schema, type Settings } from "./settings.ts";
import { createTracing, type Tracing } from "./tracing.ts";

export function startFlow<S extends Schema & typeof commonSchema>(schema: S): { s: Settings<S>; log: Logger; metrics: Metrics; tracing: Tracing } {
  let s: Settings<S>;
  try {
    s = readSettings(schema);
  } catch (err) {
    process.stderr.write(`${err instanceof SettingsError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const log = createLogger({ level: s.log.level, flow: s.flow.name, instance: s.flow.instance, maskFields: s.log.maskFields });
  stopOnFatal({ log, flow: s.flow.name, instance: s.flow.instance, alertmanagerUrl: s.alerts.url });
  const tracing = createTracing({ url: s.traces.url, spoolDir: s.traces.spoolDir, service: s.flow.name, instance: s.flow.instance, warn: (message) => log.warn(message) });
  if (tracing.recovered > 0) log.info({ spans: tracing.recovered, dir: s.traces.spoolDir }, "span spool: exporting the spans a previous process left");
  return { s, log, metrics: createMetrics(s.flow.name), tracing };
}
