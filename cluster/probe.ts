// Readiness probes of the node's components, all on 127.0.0.1.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { files } from "./layout";

/**
 * GET a loopback URL; resolves to the status (0 when nothing answered). `ours`: the server's certificate is
 * from our CA and we present the admin's; otherwise (the controller manager's and scheduler's certificates are
 * self-signed in memory) the certificate is not checked.
 */
export function getStatus(url: string, ours = false, timeoutMs = 3_000): Promise<{ status: number; body: string }> {
  return send("GET", url, ours, undefined, timeoutMs);
}

/** A JSON request to the API server as the admin (RBAC objects at start-up); resolves to the status. */
export function apiSend(method: string, url: string, body: unknown): Promise<{ status: number; body: string }> {
  return send(method, url, true, JSON.stringify(body), 10_000);
}

function send(method: string, url: string, ours: boolean, payload: string | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const tls = u.protocol === "https:";
  const options: https.RequestOptions = { method, timeout: timeoutMs };
  if (payload !== undefined) options.headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) };
  if (tls) {
    Object.assign(options, ours ? { ca: fs.readFileSync(files.pki("ca.crt")), cert: fs.readFileSync(files.pki("admin.crt")), key: fs.readFileSync(files.pki("admin.key")) } : { rejectUnauthorized: false });
  }
  return new Promise((resolve) => {
    const req = (tls ? https : http).request(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(payload);
  });
}
