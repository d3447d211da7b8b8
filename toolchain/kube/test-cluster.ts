// A throwaway Kubernetes control plane on 127.0.0.1 for tests: etcd and kube-apiserver (and, when given,
// kube-controller-manager) built from Go modules (toolchain/etcd, toolchain/kube-apiserver). No nodes: pods are
// admitted and stored, and stay Pending.
//
// Everything lives in one temporary folder (etcd's data, the apiserver's self-signed serving certificate, the
// service-account key pair, the static token file, a kubeconfig) that stop() removes. Ports are the kernel's
// picks on 127.0.0.1; nothing listens on any other address.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { freeLocalPort } from "../../lib/free-port";
import { poll } from "../../lib/poll";

export interface TestClusterOptions {
  etcd: string;
  kubeApiserver: string;
  /** When set, the controller manager runs too (service accounts, ReplicaSets and pods from templates). */
  kubeControllerManager?: string;
  /** How long etcd and the API server get to become ready (default 120 s). */
  readyTimeoutMs?: number;
  /** Keep the temporary folder (logs, certificates) after stop(). */
  keepDir?: boolean;
}

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** The API server's Warning headers (PodSecurity's `warn` level reports through these). */
  warnings: string[];
}

export interface TestCluster {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Bearer token of the admin user (group system:masters). */
  token: string;
  /** The API server's CA bundle (PEM), as written by the API server into its --cert-dir. */
  caFile: string;
  /** A kubeconfig for the admin user (context "cp3-test"). */
  kubeconfig: string;
  dir: string;
  etcdClientUrl: string;
  request(method: string, urlPath: string, body?: unknown): Promise<ApiResponse>;
  stop(): Promise<void>;
}

const ADMIN_USER = "cp3-admin";


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Managed {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

function startProcess(name: string, binary: string, args: string[], dir: string): Managed {
  const log = path.join(dir, `${name}.log`);
  const fd = fs.openSync(log, "w");
  const child = spawn(binary, args, { stdio: ["ignore", fd, fd], cwd: dir });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return { name, child, log, exited };
}

function logTail(m: Managed, lines = 20): string {
  try {
    return fs.readFileSync(m.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function stopProcess(m: Managed): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null) return;
  m.child.kill("SIGTERM");
  const killed = await Promise.race([m.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!killed) {
    m.child.kill("SIGKILL");
    await m.exited;
  }
}

/** Polls `probe` until it returns true, failing early when `m` exits. */
async function waitFor(m: Managed, what: string, deadline: number, probe: () => Promise<boolean>): Promise<void> {
  const r = await poll(
    async () => {
      if (m.child.exitCode !== null || m.child.signalCode !== null) {
        throw new Error(`${m.name} exited (${m.child.exitCode ?? m.child.signalCode}) before ${what}; log ${m.log}:\n${logTail(m)}`);
      }
      return (await probe().catch(() => false)) ? true : undefined;
    },
    { timeoutMs: deadline - Date.now(), intervalMs: 250, what },
  );
  if (!r.done) throw new Error(`timed out waiting for ${what}; log ${m.log}:\n${logTail(m)}`);
}

function httpGetOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok);
}

function apiRequest(server: string, token: string, ca: string, method: string, urlPath: string, body?: unknown): Promise<ApiResponse> {
  const url = new URL(urlPath, server);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca,
        timeout: 15_000,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain text (e.g. /readyz)
          }
          // rawHeaders keeps repeated Warning headers apart (res.headers would join them with commas).
          const warnings: string[] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i].toLowerCase() === "warning") warnings.push(warningText(res.rawHeaders[i + 1]));
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The text of a Warning header (`299 - "text with \\"quotes\\""`), unquoted. */
export function warningText(header: string): string {
  const m = /^\d{3} \S+ "(.*)"$/.exec(header.trim());
  return m ? m[1].replace(/\\(.)/g, "$1") : header;
}

function writeKubeconfig(file: string, server: string, caPem: string, token: string): void {
  const ca = Buffer.from(caPem).toString("base64");
  // JSON is valid YAML, and kubectl and the Pulumi kubernetes provider read it.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "cp3-test", cluster: { server, "certificate-authority-data": ca } }],
    users: [{ name: ADMIN_USER, user: { token } }],
    contexts: [{ name: "cp3-test", context: { cluster: "cp3-test", user: ADMIN_USER } }],
    "current-context": "cp3-test",
  };
  fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}

/** Starts etcd and kube-apiserver (and the controller manager when given) and waits until they serve. */
export async function startTestCluster(options: TestClusterOptions): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-kube-"));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  const processes: Managed[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off("exit", killNow);
    // Reverse order: controllers, then the API server, then its storage.
    for (const m of [...processes].reverse()) await stopProcess(m);
    if (!options.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  // A test runner that exits without calling stop() must not leave servers behind.
  const killNow = (): void => {
    for (const m of processes) if (m.child.exitCode === null) m.child.kill("SIGKILL");
  };
  process.on("exit", killNow);

  try {
    // etcd: one member, client and peer URLs on 127.0.0.1 only.
    const [clientPort, peerPort] = [await freeLocalPort(), await freeLocalPort()];
    const etcdClientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startProcess(
      "etcd",
      options.etcd,
      [
        "--name=cp3-test",
        `--data-dir=${path.join(dir, "etcd-data")}`,
        `--listen-client-urls=${etcdClientUrl}`,
        `--advertise-client-urls=${etcdClientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=cp3-test=${peerUrl}`,
        "--initial-cluster-state=new",
        // Test data: no fsync, so a slow disk does not slow the tests.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      dir,
    );
    processes.push(etcd);
    await waitFor(etcd, "etcd /health", deadline, () => httpGetOk(`${etcdClientUrl}/health`));

    // Service-account token signing key pair, and the admin's static token.
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const saPub = path.join(dir, "sa.pub");
    const saKey = path.join(dir, "sa.key");
    fs.writeFileSync(saPub, publicKey);
    fs.writeFileSync(saKey, privateKey, { mode: 0o600 });
    const token = randomBytes(24).toString("hex");
    const tokenFile = path.join(dir, "tokens.csv");
    // token,user,uid,"group1,group2": system:masters is allowed everything, whatever RBAC holds.
    fs.writeFileSync(tokenFile, `${token},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`, { mode: 0o600 });

    const securePort = await freeLocalPort();
    const server = `https://127.0.0.1:${securePort}`;
    const certDir = path.join(dir, "pki");
    const apiserver = startProcess(
      "kube-apiserver",
      options.kubeApiserver,
      [
        `--etcd-servers=${etcdClientUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${securePort}`,
        // No --tls-cert-file: the server generates a self-signed CA and serving certificate here.
        `--cert-dir=${certDir}`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--token-auth-file=${tokenFile}`,
        "--authorization-mode=RBAC",
        // PodSecurity is on by default; named so that turning it off elsewhere cannot go unnoticed here.
        "--enable-admission-plugins=PodSecurity",
        "--service-cluster-ip-range=10.96.0.0/24",
        // The "kubernetes" service's endpoints would be 127.0.0.1, which Endpoints validation refuses.
        "--endpoint-reconciler-type=none",
        // Privileged pods then reach admission, so PodSecurity (not the cluster-wide switch) is what refuses them.
        "--allow-privileged=true",
        "--profiling=false",
      ],
      dir,
    );
    processes.push(apiserver);

    const caFile = path.join(certDir, "apiserver.crt");
    await waitFor(apiserver, "the serving certificate", deadline, async () => fs.existsSync(caFile) && fs.statSync(caFile).size > 0);
    const caPem = fs.readFileSync(caFile, "utf8");
    const request = (method: string, urlPath: string, body?: unknown): Promise<ApiResponse> =>
      apiRequest(server, token, caPem, method, urlPath, body);
    await waitFor(apiserver, "kube-apiserver /readyz", deadline, async () => (await request("GET", "/readyz")).status === 200);
    // The bootstrap controller creates the default namespaces right after readiness.
    await waitFor(apiserver, "namespace default", deadline, async () => (await request("GET", "/api/v1/namespaces/default")).status === 200);

    const kubeconfig = path.join(dir, "kubeconfig");
    writeKubeconfig(kubeconfig, server, caPem, token);

    if (options.kubeControllerManager) {
      const kcm = startProcess(
        "kube-controller-manager",
        options.kubeControllerManager,
        [
          `--kubeconfig=${kubeconfig}`,
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caFile}`,
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${await freeLocalPort()}`,
          `--cert-dir=${path.join(dir, "kcm-pki")}`,
          "--profiling=false",
        ],
        dir,
      );
      processes.push(kcm);
      // Ready for tests once the service-account controller has made the default namespace's account.
      await waitFor(kcm, "the default service account", deadline, async () =>
        (await request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
      );
    }

    return { server, token, caFile, kubeconfig, dir, etcdClientUrl, request, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
