// Transport security of a running testbed, watched while the load runs: whether every NATS server requires TLS
// (its /varz, read inside its own container or pod), and whether every TCP session PostgreSQL holds is encrypted
// (pg_stat_ssl joined to pg_stat_activity, read over the server's local socket). Each session is counted once by
// its backend pid, so a pool that reconnects during a fault adds its new sessions. Nothing is sent from the host to
// a container's address: both reads are execs (Docker's, or the pod's on Kubernetes).
import type { ExecIn } from "../lib/workload-exec";

export interface SessionCount {
  /** Distinct TCP sessions seen. */
  sessions: number;
  unencrypted: number;
}

export interface TransportSecurity {
  /** Whether the stack has TLS inside the testbed (cp3:tls.enabled). */
  tls: boolean;
  /** NATS servers asked (on Kubernetes one pod of the workload), and of those the ones whose /varz says tls_required. */
  nats: { servers: number; tlsRequired: number; unreadable: string[] };
  /** PostgreSQL's TCP sessions over the load: samples taken (and failed), the sessions, and the same by client. */
  postgres: { samples: number; failedSamples: number } & SessionCount & { byClient: Record<string, SessionCount> };
}

/** One row of the session query: backend pid, client (application_name, else the client's address), ssl. */
const SESSIONS_SQL =
  "SELECT a.pid, coalesce(nullif(a.application_name, ''), host(a.client_addr)), s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.client_addr IS NOT NULL AND a.backend_type = 'client backend'";

/** Why the verdict cannot be READY, from what was watched; none when the stack has no TLS. */
export function transportReasons(t: TransportSecurity | undefined): string[] {
  if (!t?.tls) return [];
  const reasons: string[] = [];
  if (t.nats.tlsRequired < t.nats.servers) reasons.push(`TLS: ${t.nats.servers - t.nats.tlsRequired} of ${t.nats.servers} NATS server(s) do not require TLS${t.nats.unreadable.length > 0 ? ` (/varz unreadable: ${t.nats.unreadable.join(", ")})` : ""}`);
  if (t.postgres.samples === 0) reasons.push("TLS: PostgreSQL's sessions could not be read once during the load");
  else if (t.postgres.unencrypted > 0) {
    const clients = Object.entries(t.postgres.byClient).filter(([, c]) => c.unencrypted > 0).map(([n, c]) => `${n} ${c.unencrypted}`);
    reasons.push(`TLS: ${t.postgres.unencrypted} of ${t.postgres.sessions} PostgreSQL TCP session(s) unencrypted (${clients.join(", ")})`);
  }
  return reasons;
}

/** One line for the console and the report's summary. */
export function transportLine(t: TransportSecurity): string {
  if (!t.tls) return "transport: TLS off (cp3:tls.enabled false): NATS and PostgreSQL connections are plaintext";
  const p = t.postgres;
  return `transport: TLS on; NATS requires TLS on ${t.nats.tlsRequired} of ${t.nats.servers} server(s); PostgreSQL: ${p.sessions - p.unencrypted} of ${p.sessions} TCP session(s) encrypted (${p.samples} samples during the load)`;
}

async function natsTlsRequired(exec: ExecIn, server: string): Promise<boolean | undefined> {
  const r = await exec(server, ["curl", "-fsS", "--max-time", "5", "http://127.0.0.1:8222/varz"], 15_000).catch(() => undefined);
  if (r?.exitCode !== 0) return undefined;
  try {
    return (JSON.parse(r.output) as { tls_required?: boolean }).tls_required === true;
  } catch {
    return undefined;
  }
}

/**
 * Reads NATS once at the start and PostgreSQL's sessions every `intervalMs` (first at once) until stop(). A read
 * that fails (a server restarting under a fault) is counted and skipped. With TLS off it only records that.
 */
export function startTransportWatch(o: { tls: boolean; exec: ExecIn; nats: string[]; postgres: string; intervalMs?: number }): { stop(): Promise<TransportSecurity> } {
  const result: TransportSecurity = { tls: o.tls, nats: { servers: o.nats.length, tlsRequired: 0, unreadable: [] }, postgres: { samples: 0, failedSamples: 0, sessions: 0, unencrypted: 0, byClient: {} } };
  if (!o.tls) return { stop: async () => result };
  const seen = new Map<number, { client: string; ssl: boolean }>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const natsRead = Promise.all(o.nats.map(async (server) => [server, await natsTlsRequired(o.exec, server)] as const)).then((answers) => {
    result.nats.tlsRequired = answers.filter(([, required]) => required === true).length;
    result.nats.unreadable = answers.filter(([, required]) => required === undefined).map(([server]) => server);
  });
  const sample = async () => {
    const r = await o.exec(o.postgres, ["psql", "-X", "-d", "postgres", "-tA", "-F", "\t", "-c", SESSIONS_SQL], 15_000).catch(() => undefined);
    if (r?.exitCode !== 0) {
      result.postgres.failedSamples++;
      return;
    }
    result.postgres.samples++;
    for (const line of r.output.split("\n")) {
      const [pid, client, ssl] = line.split("\t");
      // A session seen unencrypted once stays counted as such.
      if (pid && client !== undefined && ssl !== undefined) seen.set(Number(pid), { client, ssl: ssl === "t" && seen.get(Number(pid))?.ssl !== false });
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = sample().finally(schedule);
    }, o.intervalMs ?? 10_000);
    timer.unref();
  };
  let inFlight: Promise<void> = sample().finally(schedule);

  // Counted once: a caller may stop the watch again (in a `finally`) and must get the same figures.
  let counted: Promise<TransportSecurity> | undefined;
  const count = async () => {
    stopped = true;
    clearTimeout(timer);
    await inFlight;
    await natsRead;
    for (const { client, ssl } of seen.values()) {
      const c = (result.postgres.byClient[client] ??= { sessions: 0, unencrypted: 0 });
      c.sessions++;
      result.postgres.sessions++;
      if (!ssl) {
        c.unencrypted++;
        result.postgres.unencrypted++;
      }
    }
    return result;
  };
  return { stop: () => (counted ??= count()) };
}
