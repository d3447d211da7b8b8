// A testbed's own certificate authority and a server certificate it signs: ECDSA P-256, generated with
// @peculiar/x509 (MIT) on Node's WebCrypto. PEM out, PKCS#8 keys, which nats-server (Go), PostgreSQL (OpenSSL)
// and Node's tls all read.
import { webcrypto } from "node:crypto";
// tsyringe, under @peculiar/x509, needs the Reflect metadata API before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
// The library's types are the DOM's; Node's WebCrypto is the same API.
type DomCrypto = Parameters<typeof x509.X509CertificateGenerator.create>[1];
const crypto = webcrypto as unknown as NonNullable<DomCrypto>;
// Clocks in containers and on the host may differ a little: certificates are valid from an hour ago.
const SKEW_MS = 3_600_000;

export interface Pem {
  cert: string;
  key: string;
}

const keyPem = async (key: webcrypto.CryptoKey) => x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
const newKeys = () => crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);

/** A self-signed CA that may sign server certificates only (path length 0). */
export async function createAuthority(commonName: string, validDays: number): Promise<Pem> {
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=${commonName}`,
      notBefore: new Date(now - SKEW_MS),
      notAfter: new Date(now + validDays * 86_400_000),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

/** Names a server certificate covers: host names, and IP addresses (127.0.0.1 for the host's own access). */
export interface ServerNames {
  dns: string[];
  ip: string[];
}

/** A server certificate for `names`, signed by the authority. */
export async function createServerCertificate(authority: Pem, names: ServerNames, validDays: number): Promise<Pem> {
  const ca = new x509.X509Certificate(authority.cert);
  const caKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(authority.key), ALG, false, ["sign"]);
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${names.dns[0] ?? names.ip[0]}`,
      issuer: ca.subject,
      notBefore: new Date(now - SKEW_MS),
      notAfter: new Date(Math.min(now + validDays * 86_400_000, ca.notAfter.getTime())),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([...names.dns.map((value) => ({ type: "dns" as const, value })), ...names.ip.map((value) => ({ type: "ip" as const, value }))]),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}
