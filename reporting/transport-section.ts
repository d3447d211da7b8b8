// The "Transport security" section of report.html: whether TLS inside the testbed was on, every NATS server
// requiring it, and PostgreSQL's TCP sessions during the load, encrypted or not, by client.
import { transportLine, transportReasons, type TransportSecurity } from "../security/transport";
import { badge, esc, missing, table } from "./markup";

export function transportSection(t: TransportSecurity | undefined): string {
  const open = `<section id="transport"><h2>Transport security</h2>`;
  if (!t) return `${open}\n${missing("Not watched: the run stopped before its load.")}\n</section>`;
  const summary = `<p>${badge(transportReasons(t).length === 0, t.tls ? "encrypted" : "TLS off", "plaintext found").html} ${esc(transportLine(t))}</p>`;
  if (!t.tls) return `${open}\n${summary}\n</section>`;
  const clients = table(
    "transport-postgres",
    ["PostgreSQL client", "TCP sessions", "Encrypted", "Unencrypted"],
    Object.entries(t.postgres.byClient)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([client, c]) => [client, c.sessions, c.sessions - c.unencrypted, c.unencrypted]),
  );
  return `${open}\n${summary}\n${clients}\n</section>`;
}
