// A Kubernetes stack's objects all live in its namespace (labelled cp3.stack, with cp3.expires as an
// annotation since a label value cannot hold a time): the leftover checks and the orphan sweep find them here.
// Without a running local cluster there is nothing to find.
import * as fs from "node:fs";
import { kubeconfigPath } from "../cluster";
import { deleteNamespace, kubeFrom, namespacesWithLabel } from "../lib/kube-api";
import { poll } from "../lib/poll";

export interface StackNamespace {
  name: string;
  stack: string;
  expires?: string;
}

export async function stackNamespaces(stack?: string): Promise<StackNamespace[]> {
  const file = kubeconfigPath();
  if (!fs.existsSync(file)) return [];
  try {
    const found = await namespacesWithLabel(kubeFrom(file), stack === undefined ? "cp3.stack" : `cp3.stack=${stack}`);
    return found.map((n) => ({ name: n.name, stack: n.labels["cp3.stack"] ?? "", expires: n.annotations["cp3.expires"] }));
  } catch (err) {
    // A kubeconfig left by a cluster that is not running now: no namespaces to speak of.
    const text = `${String(err)} ${String((err as { cause?: unknown }).cause ?? "")}`;
    if (/ECONNREFUSED|ENOENT/.test(text)) return [];
    throw err;
  }
}

/** Every namespace a stack made, by its label; each is gone with everything in it once the call returns. */
export async function removeStackNamespaces(stack: string): Promise<void> {
  const file = kubeconfigPath();
  for (const n of await stackNamespaces(stack)) await deleteNamespace(kubeFrom(file), n.name);
  // Deletion is asynchronous: the namespace stays Terminating until every object in it is gone.
  const r = await poll(async () => ((await stackNamespaces(stack)).length === 0 ? true : undefined), { timeoutMs: 180_000, intervalMs: 1000, what: `namespaces of ${stack} deleted` });
  if (!r.done) throw new Error(`the namespaces of ${stack} are still there 180 s after their deletion: ${(await stackNamespaces(stack)).map((n) => n.name).join(", ")}`);
}
