// What a Kubernetes stack needs before `up`: the kubernetes provider plugin installed at the SDK's version and
// the local cluster running. Both are built on first use (a Docker-only user never pays for them) and cached.
import { clusterToolchain, clusterUp } from "../cluster";
import { ensureKubernetesProvider } from "../toolchain/kubernetes-provider";

export async function ensureKubernetes(): Promise<void> {
  await ensureKubernetesProvider();
  await clusterUp();
}

/** Builds (or finds cached) everything Kubernetes stacks need, without starting the cluster: `npm test` does this before its Kubernetes tests. */
export async function buildKubernetes(): Promise<void> {
  await clusterToolchain();
  await ensureKubernetesProvider();
}

/** The platform a stack's settings name (cp3:platform), Docker when unset. */
export async function platformOf(stack: { getAllConfig(): Promise<Record<string, { value: string }>> }): Promise<"docker" | "kubernetes"> {
  return (await stack.getAllConfig())["cp3:platform"]?.value === "kubernetes" ? "kubernetes" : "docker";
}
