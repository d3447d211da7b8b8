// The testbed's own certificate authority and the server certificate the testbed's servers present (NATS,
// PostgreSQL), generated when the stack is created and kept in its state as secrets, like RandomSecret: the
// engine's Stash keeps what was drawn first, later updates draw anew and `ignoreChanges` discards it. The
// server certificate's Stash is named by its names, so a change of names (more NATS servers) makes a new one,
// signed by the same CA.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { createAuthority, createServerCertificate, type Pem, type ServerNames } from "../lib/tls-certificates";
import { natsHost } from "./nats";

/**
 * Every name a client of a testbed's servers uses: the NATS servers, Toxiproxy (the proxied links), postgres,
 * and localhost and 127.0.0.1 (tools inside the servers' containers, the host). One server certificate covers them.
 */
export const testbedServerNames = (natsReplicas: number): ServerNames => ({ dns: [...Array.from({ length: natsReplicas }, (_, i) => natsHost(i)), "toxiproxy", "postgres", "localhost"], ip: ["127.0.0.1"] });

export interface TlsAuthorityArgs {
  /** The CA's common name, e.g. `cp3 testbed CA <stack>`. */
  readonly commonName: string;
  /** Host names and IP addresses the server certificate covers: every name a client connects to. */
  readonly serverNames: ServerNames;
  /** @default 825 */
  readonly validDays?: number;
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export class TlsAuthority extends pulumi.ComponentResource {
  /** The CA certificate (PEM): what clients verify the servers with. Not a secret. */
  public readonly caCert: pulumi.Output<string>;
  public readonly serverCert: pulumi.Output<string>;
  /** The server's private key (PKCS#8 PEM), a secret. */
  public readonly serverKey: pulumi.Output<string>;

  constructor(name: string, args: TlsAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:secrets:TlsAuthority", name, {}, opts);
    const validDays = args.validDays ?? 825;
    const { dns, ip } = args.serverNames;
    if (dns.length + ip.length === 0) throw new pulumi.ResourceError(`TlsAuthority ${name}: serverNames is empty; give the host names clients connect to`, this);
    for (const d of dns) if (!DNS_NAME.test(d)) throw new pulumi.ResourceError(`TlsAuthority ${name}: serverNames.dns has "${d}"; give lower-case host names`, this);
    for (const a of ip) if (!IPV4.test(a)) throw new pulumi.ResourceError(`TlsAuthority ${name}: serverNames.ip has "${a}"; give IPv4 addresses`, this);
    if (!Number.isInteger(validDays) || validDays < 1 || validDays > 3650) throw new pulumi.ResourceError(`TlsAuthority ${name}: validDays is ${validDays}; give an integer from 1 to 3650`, this);

    const kept = { parent: this, ignoreChanges: ["input"], additionalSecretOutputs: ["input", "output"] };
    const caStash = new pulumi.Stash(`${name}-ca`, { input: pulumi.secret(pulumi.output(createAuthority(args.commonName, validDays))) }, kept);
    const ca = caStash.output as pulumi.Output<Pem>;
    const namesKey = createHash("sha256").update(JSON.stringify({ dns, ip })).digest("hex").slice(0, 12);
    const serverStash = new pulumi.Stash(`${name}-server-${namesKey}`, { input: pulumi.secret(ca.apply((c) => createServerCertificate(c, { dns, ip }, validDays))) }, kept);
    const server = serverStash.output as pulumi.Output<Pem>;
    this.caCert = pulumi.unsecret(ca.apply((c) => c.cert));
    this.serverCert = pulumi.unsecret(server.apply((s) => s.cert));
    this.serverKey = pulumi.secret(server.apply((s) => s.key));
    this.registerOutputs({ caCert: this.caCert, serverCert: this.serverCert });
  }
}
