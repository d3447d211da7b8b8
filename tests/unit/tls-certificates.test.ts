// The testbed's CA and server certificates, checked with Node's own X.509 and TLS code: the chain verifies,
// the names are the ones asked for (and only those), the keys match, and a real TLS handshake with hostname
// verification succeeds for a covered name and fails for another.
import { X509Certificate, createPrivateKey } from "node:crypto";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { createAuthority, createServerCertificate } from "../../lib/tls-certificates";

describe("testbed TLS certificates", async () => {
  const ca = await createAuthority("cp3 testbed CA ci-unit", 365);
  const server = await createServerCertificate(ca, { dns: ["postgres", "toxiproxy"], ip: ["127.0.0.1"] }, 365);
  const caCert = new X509Certificate(ca.cert);
  const serverCert = new X509Certificate(server.cert);

  it("makes a CA that signed the server certificate, which is no CA itself", () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.checkPrivateKey(createPrivateKey(server.key))).toBe(true);
    expect(server.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("covers exactly the names asked for, and is valid now", () => {
    expect(serverCert.subjectAltName).toBe("DNS:postgres, DNS:toxiproxy, IP Address:127.0.0.1");
    expect(serverCert.checkHost("postgres")).toBe("postgres");
    expect(serverCert.checkHost("nats-0")).toBeUndefined();
    expect(serverCert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(new Date(serverCert.validFrom).getTime()).toBeLessThan(Date.now());
    expect(new Date(serverCert.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  });

  it("passes a real TLS handshake with verification for a covered name, and fails for another", async () => {
    const srv = tls.createServer({ cert: server.cert, key: server.key }, (s) => s.end("ok"));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    const handshake = (servername: string) =>
      new Promise<string>((resolve) => {
        const c = tls.connect({ host: "127.0.0.1", port, servername, ca: ca.cert }, () => (c.end(), resolve("verified")));
        c.on("error", (err: Error & { code?: string }) => resolve(err.code ?? err.message));
      });
    try {
      expect(await handshake("toxiproxy")).toBe("verified");
      expect(await handshake("nats-0")).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      srv.close();
    }
  });
});
