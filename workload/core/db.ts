// The one way to PostgreSQL: a pool with an explicit connect timeout, errors on idle clients handled (they
// would otherwise crash the process), and clients always released.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import pg from "pg";
import type { Logger } from "pino";
import { fullJitterDelay, sleep, type Backoff } from "./backoff.ts";
import type { Metrics } from "./metrics.ts";

export interface DbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Preferred to `password`: read at every new connection, so a rotated password file is picked up. */
  passwordFile: string;
  database: string;
  poolMax: number;
  connectTimeoutMs: number;
  /**
   * A connection is closed once released after this long (0: never), so every pool authenticates anew within
   * it: after a password rotation no session of the old password is left.
   */
  maxLifetimeSeconds: number;
  /** Shown in pg_stat_activity: the flow instance. */
  applicationName: string;
  /** TLS with the server's certificate and name verified against this CA (libpq's verify-full); "" for none. */
  caFile: string;
}

export type Db = ReturnType<typeof createDb>;

export function createDb(s: DbSettings, log: Logger, metrics: Metrics) {
  const pool = new pg.Pool({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.passwordFile ? () => readPasswordFile(s.passwordFile) : s.password,
    database: s.database,
    max: s.poolMax,
    connectionTimeoutMillis: s.connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    maxLifetimeSeconds: s.maxLifetimeSeconds,
    application_name: s.applicationName,
    ...(s.caFile ? { ssl: { ca: readFileSync(s.caFile, "utf8"), rejectUnauthorized: true } } : {}),
  });
  pool.on("error", (err) => log.warn({ err }, "postgres: idle client error"));
  // A connection reset while a client is checked out is emitted on that client; with no listener it would end
  // the process (node-postgres #2386). The query in flight fails on its own, and the client is discarded.
  pool.on("connect", (client) => client.on("error", (err) => log.warn({ err }, "postgres: connection error")));
  const gauge = () => {
    metrics.poolTotal.set({ state: "total" }, pool.totalCount);
    metrics.poolTotal.set({ state: "idle" }, pool.idleCount);
    metrics.poolTotal.set({ state: "waiting" }, pool.waitingCount);
  };
  return {
    pool,
    /** A named statement is parsed and planned once per connection, then only bound and run. */
    query: <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], name?: string) => retryingAuth(log, () => pool.query<R>({ text, values, name })),
    /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
    async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
      const client = await retryingAuth(log, () => pool.connect());
      gauge();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        // A client whose connection failed goes back destroyed, never to the next caller.
        if (isUnavailable(err)) broken = err as Error;
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release(broken);
        gauge();
      }
    },
    async reachable(): Promise<boolean> {
      try {
        await pool.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    end: () => pool.end(),
  };
}

// While the password rotates (`cp3 rotate-secret`), the file and the server disagree for a moment: a new
// connection is refused (28P01) before the query is sent, so trying again is safe; pooled connections, already
// authenticated, are not affected.
const AUTH_REFUSED = "28P01";
const AUTH_BACKOFF: Backoff = { baseMs: 50, capMs: 500 };
const AUTH_RETRY_MS = 5_000;

async function retryingAuth<T>(log: Logger, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if ((err as { code?: string })?.code !== AUTH_REFUSED || Date.now() - t0 > AUTH_RETRY_MS) throw err;
      log.warn({ attempt }, "postgres: password refused; reading the password file again");
      await sleep(Math.max(20, fullJitterDelay(attempt, AUTH_BACKOFF)));
    }
  }
}

/** The password file's text. A rotation rewrites the file (removed, then written), so a read may find it missing or empty for a moment. */
async function readPasswordFile(file: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const text = await readFile(file, "utf8").then((t) => t.trim(), (err: unknown) => (attempt < 20 ? "" : Promise.reject(err)));
    if (text !== "") return text;
    if (attempt >= 20) throw new Error(`the password file ${file} is empty`);
    await sleep(50);
  }
}

/** True for errors that mean "PostgreSQL cannot be reached now" rather than a bad statement. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P03", "08006", "08001", "08003", AUTH_REFUSED].includes(e?.code ?? "") ||
    /timeout exceeded when trying to connect|Connection terminated|the database system is (starting up|shutting down)/i.test(e?.message ?? "")
  );
}
