// A pod's network namespace, for nsenter: the netns file lives only inside the node's mount namespace, so
// enter it through the pod's pause process instead (`nsenter -t <pid> -n ...`).
import { run } from "../lib/exec";
import { files } from "./layout";

export interface PodNetns {
  sandboxId: string;
  /** The pod's pause (sandbox) process. */
  pid: number;
  /** Arguments that enter its network namespace: nsenter ...nsenterArgs -- command. */
  nsenterArgs: string[];
}

export function crictlArgs(...args: string[]): string[] {
  return ["--config", files.crictlConfig(), ...args];
}

/** `pod` is a pod UID, or namespace/name. */
export async function podNetnsWith(crictl: string, pod: string): Promise<PodNetns> {
  const filter = pod.includes("/") ? ["--namespace", pod.split("/")[0]!, "--name", pod.split("/")[1]!] : ["--label", `io.kubernetes.pod.uid=${pod}`];
  const ids = (await run(crictl, crictlArgs("pods", "-q", "--state", "ready", ...filter), { step: "pod netns", log: "cluster-crictl" })).split("\n").filter(Boolean);
  // crictl's --name is a regular expression: keep the exact match.
  for (const id of ids) {
    const inspect = JSON.parse(await run(crictl, crictlArgs("inspectp", "-o", "json", id), { step: "pod netns", log: "cluster-crictl" })) as {
      status: { metadata: { name: string; namespace: string; uid: string } };
      info: { pid: number };
    };
    const m = inspect.status.metadata;
    const matches = pod.includes("/") ? `${m.namespace}/${m.name}` === pod : m.uid === pod;
    if (matches && inspect.info.pid > 0) return { sandboxId: id, pid: inspect.info.pid, nsenterArgs: ["-t", String(inspect.info.pid), "-n"] };
  }
  throw new Error(`podNetns: no ready pod sandbox for ${pod} on the node`);
}
