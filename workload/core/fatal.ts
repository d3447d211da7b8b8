// A flow that cannot go on (an error nothing handled) says so before it stops: a fatal log line, and an alert
// to Alertmanager when one is wired (CONTAINER_ALERTS__URL), so the monitoring hears of it before the container
// is gone (container requirement 8.5: alert before shutting down). Then exit 70 (EX_SOFTWARE); the engine's
// restart policy decides what comes next. The alert gets at most ALERT_TIMEOUT_MS: a dead Alertmanager must
// not keep a broken process alive.
import type { Logger } from "pino";

const ALERT_TIMEOUT_MS = 2000;
export const FATAL_EXIT_CODE = 70;

/** The alert, in Alertmanager's v2 API shape. */
export function fatalAlert(o: { flow: string; instance: string; reason: string; at: Date }) {
  return [{ labels: { alertname: "FlowFatal", severity: "page", service: o.flow, instance: o.instance }, annotations: { summary: `${o.instance} stops on a fatal error: ${o.reason}` }, startsAt: o.at.toISOString() }];
}

async function sendAlert(url: string, body: unknown): Promise<string> {
  const res = await fetch(`${url}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(ALERT_TIMEOUT_MS) });
  return res.ok ? `sent to ${url}` : `refused by ${url}: HTTP ${res.status}`;
}

export function stopOnFatal(o: { log: Logger; flow: string; instance: string; alertmanagerUrl: string }): void {
  let stopping = false;
  const stop = (what: string, err: unknown) => {
    if (stopping) return;
    stopping = true;
    const reason = err instanceof Error ? err.message : String(err);
    o.log.fatal({ err }, `${what}: ${reason}; stopping with exit ${FATAL_EXIT_CODE}`);
    const sent = o.alertmanagerUrl === "" ? Promise.resolve("not sent: no Alertmanager wired (CONTAINER_ALERTS__URL)") : sendAlert(o.alertmanagerUrl, fatalAlert({ flow: o.flow, instance: o.instance, reason, at: new Date() })).catch((e: unknown) => `not sent: ${e instanceof Error ? e.message : String(e)}`);
    void sent.then((result) => {
      o.log.info(`alert before stopping: ${result}`);
      process.exit(FATAL_EXIT_CODE);
    });
  };
  process.on("uncaughtException", (err) => stop("uncaught exception", err));
  process.on("unhandledRejection", (err) => stop("unhandled rejection", err));
}
