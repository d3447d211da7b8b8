// Proves the test control plane works and enforces Pod Security admission:
//   a namespace labelled pod-security.kubernetes.io/enforce=restricted refuses non-compliant pods (403, PodSecurity's
//   message) and stores a compliant one (201; Pending, there are no nodes).
//
//   npx tsx toolchain/kube/admission-check.ts --etcd ETCD --kube-apiserver APISERVER [--kubectl KUBECTL]
//        [--kube-controller-manager KCM] [--keep]
//
// Bounded: everything is stopped after at most 4 minutes, whatever happens. Exit code 0 only if every check passed.
import { execFileSync } from "node:child_process";
import { poll } from "../../lib/poll";
import { startTestCluster, type ApiResponse, type TestCluster } from "./test-cluster";

const NS = "cp3-restricted";
const IMAGE = "registry.invalid/cp3/never-pulled:1"; // no node ever pulls it

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function pod(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS }, spec };
}

/** Meets the `restricted` profile: non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp. */
const compliantSpec = {
  automountServiceAccountToken: false,
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
  containers: [
    {
      name: "app",
      image: IMAGE,
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
    },
  ],
};

let passed = 0;
let failed = 0;
function check(what: string, ok: boolean, detail: string): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "PASS" : "FAIL"} ${what}\n     ${detail}`);
}

function message(r: ApiResponse): string {
  return typeof r.body === "object" && r.body !== null ? String(r.body.message ?? "") : String(r.body);
}

async function main(): Promise<void> {
  const etcd = arg("etcd");
  const kubeApiserver = arg("kube-apiserver");
  if (!etcd || !kubeApiserver) {
    console.error("usage: admission-check.ts --etcd ETCD --kube-apiserver APISERVER [--kubectl KUBECTL] [--kube-controller-manager KCM] [--keep]");
    process.exit(2);
  }
  const kubectl = arg("kubectl");
  const kcm = arg("kube-controller-manager");

  const started = Date.now();
  const cluster: TestCluster = await startTestCluster({
    etcd,
    kubeApiserver,
    kubeControllerManager: kcm,
    keepDir: process.argv.includes("--keep"),
  });
  const hardStop = setTimeout(() => {
    console.error("admission-check: 4-minute limit reached, stopping");
    void cluster.stop().finally(() => process.exit(1));
  }, 240_000);
  try {
    console.log(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cluster.server} (etcd ${cluster.etcdClientUrl}), folder ${cluster.dir}`);
    const version = await cluster.request("GET", "/version");
    console.log(`kube-apiserver reports ${version.body.gitVersion} (${version.body.goVersion})`);

    const ns = await cluster.request("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: NS,
        labels: {
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          // Pod templates (Deployments, Jobs) are not enforced, only warned about: the warn level reports them.
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "latest",
        },
      },
    });
    check("namespace created with enforce=restricted", ns.status === 201, `HTTP ${ns.status}`);

    if (!kcm) {
      // Without the controller manager nobody creates the namespace's default service account, and the
      // ServiceAccount admission plugin refuses pods that would use a missing one.
      const sa = await cluster.request("POST", `/api/v1/namespaces/${NS}/serviceaccounts`, {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default" },
      });
      check("default service account created by hand (no controller manager)", sa.status === 201, `HTTP ${sa.status}`);
    } else {
      let status = 0;
      for (let i = 0; i < 60 && status !== 200; i++) {
        status = (await cluster.request("GET", `/api/v1/namespaces/${NS}/serviceaccounts/default`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 500));
      }
      check("controller manager created the namespace's default service account", status === 200, `HTTP ${status}`);
    }

    const rejected: Array<[string, Record<string, unknown>]> = [
      ["privileged", { containers: [{ name: "app", image: IMAGE, securityContext: { privileged: true } }] }],
      ["no securityContext (runAsNonRoot, seccomp, capabilities, allowPrivilegeEscalation unset)", { containers: [{ name: "app", image: IMAGE }] }],
      [
        "compliant but for runAsNonRoot",
        { ...compliantSpec, securityContext: { seccompProfile: { type: "RuntimeDefault" } } },
      ],
    ];
    for (const [i, [what, spec]] of rejected.entries()) {
      const r = await cluster.request("POST", `/api/v1/namespaces/${NS}/pods`, pod(`bad-${i}`, spec));
      const msg = message(r);
      check(
        `non-compliant pod REJECTED: ${what}`,
        r.status === 403 && msg.includes('violates PodSecurity "restricted:latest"'),
        `HTTP ${r.status}: ${msg}`,
      );
    }

    const good = await cluster.request("POST", `/api/v1/namespaces/${NS}/pods`, pod("good", compliantSpec));
    check("compliant pod ACCEPTED", good.status === 201, `HTTP ${good.status}${good.status === 201 ? "" : `: ${message(good)}`}`);
    const got = await cluster.request("GET", `/api/v1/namespaces/${NS}/pods/good`);
    check("compliant pod stored, Pending (no nodes)", got.status === 200 && got.body.status?.phase === "Pending", `phase ${got.body.status?.phase}`);

    // A Deployment whose template breaks the profile is stored (templates are not enforced) with a warning.
    const deploy = (name: string, podSpec: Record<string, unknown>): Record<string, unknown> => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: podSpec },
      },
    });
    const badDeploy = await cluster.request("POST", `/apis/apps/v1/namespaces/${NS}/deployments`, deploy("bad-template", { containers: [{ name: "app", image: IMAGE }] }));
    check(
      "Deployment with a non-compliant template: stored with a PodSecurity warning",
      badDeploy.status === 201 && badDeploy.warnings.some((w) => w.includes('would violate PodSecurity "restricted:latest"')),
      `HTTP ${badDeploy.status}; warnings: ${badDeploy.warnings.join(" | ") || "(none)"}`,
    );
    const goodDeploy = await cluster.request("POST", `/apis/apps/v1/namespaces/${NS}/deployments`, deploy("good-template", compliantSpec));
    check(
      "Deployment with a compliant template: stored without warnings",
      goodDeploy.status === 201 && goodDeploy.warnings.length === 0,
      `HTTP ${goodDeploy.status}; warnings: ${goodDeploy.warnings.join(" | ") || "(none)"}`,
    );

    if (kcm) {
      // With controllers, templates become real pods, and those go through enforcement.
      let goodPods = 0;
      let failedCreate = "";
      await poll(
        async () => {
          const pods = await cluster.request("GET", `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dgood-template`);
          goodPods = pods.body.items?.length ?? 0;
          const events = await cluster.request("GET", `/api/v1/namespaces/${NS}/events?fieldSelector=reason%3DFailedCreate`);
          const ev = (events.body.items ?? []).find((e: { message?: string }) => (e.message ?? "").includes("bad-template"));
          failedCreate = ev?.message ?? "";
          return goodPods !== 0 && failedCreate !== "" ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000, what: "the template's pod and the FailedCreate event" },
      );
      check("compliant template: the ReplicaSet's pod was admitted", goodPods === 1, `${goodPods} pod(s) with app=good-template`);
      check(
        "non-compliant template: the ReplicaSet's pod was REJECTED",
        failedCreate.includes("violates PodSecurity"),
        failedCreate || "(no FailedCreate event)",
      );
    }

    if (kubectl) {
      const out = execFileSync(kubectl, ["--kubeconfig", cluster.kubeconfig, "get", "pods,deployments", "-n", NS, "-o", "wide"], {
        encoding: "utf8",
        timeout: 30_000,
      });
      console.log(`kubectl get pods,deployments -n ${NS}:\n${out.trimEnd()}`);
      let refused = "";
      try {
        execFileSync(kubectl, ["--kubeconfig", cluster.kubeconfig, "run", "kubectl-bad", "-n", NS, `--image=${IMAGE}`, "--restart=Never"], {
          encoding: "utf8",
          timeout: 30_000,
          stdio: "pipe",
        });
      } catch (err) {
        refused = String((err as { stderr?: string }).stderr ?? err).trim();
      }
      check("kubectl run of a non-compliant pod is refused", refused.includes("violates PodSecurity"), refused || "(accepted!)");
    }
  } finally {
    clearTimeout(hardStop);
    const t = Date.now();
    await cluster.stop();
    console.log(`stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
