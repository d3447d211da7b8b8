// The cluster's certificates, made once with openssl and kept in the cache: a CA, the API server's and the
// kubelet's serving certificates (loopback names only, plus the `kubernetes` Service's ClusterIP), and a
// client certificate per user. Users and groups come from the certificate's CN and O, as in kubeadm.
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import { run } from "../lib/exec";
import { API_SERVICE_IP, NODE_NAME, files } from "./layout";

interface Leaf {
  name: string;
  cn: string;
  org?: string;
  usage: "clientAuth" | "serverAuth";
  sans?: string[];
}

export const LEAVES: Leaf[] = [
  { name: "apiserver", cn: "kube-apiserver", usage: "serverAuth", sans: ["DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local", "IP:127.0.0.1", `IP:${API_SERVICE_IP}`] },
  { name: "kubelet-serving", cn: NODE_NAME, usage: "serverAuth", sans: ["DNS:localhost", "IP:127.0.0.1"] },
  { name: "admin", cn: "cp3-admin", org: "system:masters", usage: "clientAuth" },
  { name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", org: "system:masters", usage: "clientAuth" },
  { name: "kube-controller-manager", cn: "system:kube-controller-manager", usage: "clientAuth" },
  { name: "kube-scheduler", cn: "system:kube-scheduler", usage: "clientAuth" },
  { name: "kubelet", cn: `system:node:${NODE_NAME}`, org: "system:nodes", usage: "clientAuth" },
  { name: "kube-proxy", cn: "system:kube-proxy", usage: "clientAuth" },
  { name: "coredns", cn: "system:coredns", usage: "clientAuth" },
];

const step = "cluster certificates";
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function leaf(l: Leaf): Promise<void> {
  const crt = files.pki(`${l.name}.crt`);
  if (fs.existsSync(crt)) return;
  const key = files.pki(`${l.name}.key`);
  const csr = files.pki(`${l.name}.csr`);
  const ext = files.pki(`${l.name}.ext`);
  const subject = `${l.org ? `/O=${l.org}` : ""}/CN=${l.cn}`;
  await run("openssl", ["req", "-new", ...ec, "-keyout", key, "-out", csr, "-subj", subject], { step, log: "cluster-pki" });
  const lines = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", `extendedKeyUsage=${l.usage}`];
  if (l.sans) lines.push(`subjectAltName=${l.sans.join(",")}`);
  fs.writeFileSync(ext, lines.join("\n") + "\n");
  await run("openssl", ["x509", "-req", "-in", csr, "-CA", files.pki("ca.crt"), "-CAkey", files.pki("ca.key"), "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", ext, "-out", `${crt}.partial`], { step, log: "cluster-pki" });
  fs.renameSync(`${crt}.partial`, crt);
  fs.rmSync(csr, { force: true });
  fs.rmSync(ext, { force: true });
}

/** Makes what is missing (all of it on the first call); the CA signs every leaf, so a new CA means new leaves. */
export async function ensurePki(): Promise<void> {
  if (!fs.existsSync(files.pki("ca.crt"))) {
    for (const f of fs.readdirSync(files.pki())) fs.rmSync(files.pki(f), { force: true });
    await run("openssl", ["req", "-x509", "-new", ...ec, "-keyout", files.pki("ca.key"), "-out", files.pki("ca.crt.partial"), "-days", "3650", "-sha256", "-subj", "/CN=cp3-cluster-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], { step, log: "cluster-pki" });
    fs.renameSync(files.pki("ca.crt.partial"), files.pki("ca.crt"));
  }
  for (const l of LEAVES) await leaf(l);
  if (!fs.existsSync(files.pki("sa.pub"))) {
    // The service-account token signing pair (RS256, what every client of the TokenReview API expects).
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    fs.writeFileSync(files.pki("sa.key"), privateKey, { mode: 0o600 });
    fs.writeFileSync(files.pki("sa.pub"), publicKey);
  }
}

/** A kubeconfig for one user; the admin's embeds its material, so it can be copied elsewhere. */
export function writeKubeconfig(user: string, server: string, embed: boolean): string {
  const file = files.kubeconfig(user);
  const data = (name: string) => fs.readFileSync(files.pki(name)).toString("base64");
  const cluster = embed ? { server, "certificate-authority-data": data("ca.crt") } : { server, "certificate-authority": files.pki("ca.crt") };
  const creds = embed
    ? { "client-certificate-data": data(`${user}.crt`), "client-key-data": data(`${user}.key`) }
    : { "client-certificate": files.pki(`${user}.crt`), "client-key": files.pki(`${user}.key`) };
  // JSON is YAML: kubectl, client-node and Pulumi's provider read it.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "cp3", cluster }],
    users: [{ name: user, user: creds }],
    contexts: [{ name: "cp3", context: { cluster: "cp3", user } }],
    "current-context": "cp3",
  };
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  return file;
}
