// The system's own account of what it holds: its description's oracle, asked for `key, effect_count` (and
// optionally `state`) of every record. An SQL oracle runs through `psql` inside the PostgreSQL container (the
// engine's exec: no client, port or password on the host, and it works while Toxiproxy has faults on); an HTTP
// oracle is fetched with curl inside the service's own container, since only the entry is published.
import type { ExecIn } from "../lib/workload-exec";
import type { FinalRead } from "./check";

export type Oracle = { sql: { database: string; query: string } } | { http: { service: string; port: number; path: string } };

export interface OracleRow {
  key: string;
  effects: number;
  /** The system's state of the record, when the oracle gives one ("dead" counts as dead-lettered). */
  state?: string;
}

const SEP = "\x1f"; // unit separator: never inside a key (printable characters only)
const END_OF_ROWS = "cp3-end-of-rows";

function parseRows(rows: string[][], where: string): OracleRow[] {
  return rows.map((r, i) => {
    const effects = Number(r[1]);
    if (r[0] === undefined || r[0] === "" || !Number.isInteger(effects) || effects < 0) throw new Error(`${where}: row ${i + 1} is ${JSON.stringify(r)}; expected key, effect_count (a whole number) and optionally state`);
    return { key: r[0], effects, ...(r[2] !== undefined && r[2] !== "" ? { state: r[2] } : {}) };
  });
}

/** Every row the oracle answers. `containers` maps a service's name to its containers (the HTTP oracle's). */
export async function askOracle(oracle: Oracle, exec: ExecIn, postgres: string, containers: Record<string, string | string[]>, timeoutMs = 120_000): Promise<OracleRow[]> {
  if ("sql" in oracle) {
    // A last row of our own marks the end of the answer: an exec whose output was cut short (seen on
    // Kubernetes with a command that ends quickly) is asked again rather than read as "no records".
    for (let attempt = 1; ; attempt++) {
      const r = await exec(postgres, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", oracle.sql.database, "-tA", "-F", SEP, "-c", oracle.sql.query, "-c", `SELECT '${END_OF_ROWS}'`], timeoutMs);
      if (r.exitCode !== 0) throw new Error(`oracle query on database ${oracle.sql.database} exited ${r.exitCode}: ${r.output.trim().slice(0, 400)}`);
      const lines = r.output.split("\n").filter((l) => l !== "");
      if (lines.at(-1) !== END_OF_ROWS) {
        if (attempt < 3) continue;
        throw new Error(`oracle query on database ${oracle.sql.database}: the answer ended before its last row ${attempt} times (${r.output.length} bytes)`);
      }
      return parseRows(
        lines.slice(0, -1).map((l) => l.split(SEP)),
        `oracle query on database ${oracle.sql.database}`,
      );
    }
  }
  const { service, port, path } = oracle.http;
  const target = [containers[service] ?? []].flat()[0];
  if (!target) throw new Error(`oracle service ${service} has no container in this stack`);
  const r = await exec(target, ["curl", "-fsS", "--max-time", String(Math.round(timeoutMs / 1000)), `http://127.0.0.1:${port}${path}`], timeoutMs + 5_000);
  if (r.exitCode !== 0) throw new Error(`oracle GET ${path} in ${target} exited ${r.exitCode}: ${r.output.trim().slice(0, 400)}`);
  let body: unknown;
  try {
    body = JSON.parse(r.output);
  } catch {
    throw new Error(`oracle GET ${path} in ${target} did not answer JSON: ${r.output.slice(0, 200)}`);
  }
  if (!Array.isArray(body)) throw new Error(`oracle GET ${path} answered ${JSON.stringify(body).slice(0, 120)}; expected a list of {"key", "effect_count", "state"?}`);
  return parseRows(
    body.map((x: { key?: unknown; effect_count?: unknown; state?: unknown }) => [String(x.key ?? ""), String(x.effect_count ?? ""), x.state === undefined ? "" : String(x.state)]),
    `oracle GET ${path}`,
  );
}

/** The final read in the integrity check's terms: an effect is a processed record; more than one is a duplicate. */
export function finalReadFrom(rows: OracleRow[]): FinalRead {
  const records: FinalRead["records"] = new Map();
  for (const r of rows) records.set(r.key, { state: r.state ?? (r.effects > 0 ? "processed" : "pending"), hasResult: r.effects > 0, processedAttempts: r.effects });
  return { records };
}

/** Records the system holds with no effect yet and not dead-lettered: what a drain waits for. */
export const pendingIn = (rows: OracleRow[]): number => rows.filter((r) => r.effects === 0 && r.state !== "dead").length;
