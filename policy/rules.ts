// The hardening rules every testbed container must meet (CIS Docker Benchmark v1.6: 4.1, 5.4, 5.5, 5.10-5.13,
// 5.15, 5.25, 5.26, 5.32), as a pure function of a container's inputs, so the policy pack and the unit tests
// check the same thing.

export interface ContainerInputs {
  user?: string;
  readOnly?: boolean;
  privileged?: boolean;
  capabilities?: { drops?: string[]; adds?: string[] };
  securityOpts?: string[];
  memory?: number;
  cpus?: string;
  ulimits?: { name: string; soft: number; hard: number }[];
  restart?: string;
  maxRetryCount?: number;
  attach?: boolean;
  start?: boolean;
  logDriver?: string;
  logOpts?: Record<string, string>;
  labels?: { label: string; value: string }[];
  ports?: { internal: number; external?: number; ip?: string }[];
  networkMode?: string;
  pidMode?: string;
  ipcMode?: string;
  volumes?: { hostPath?: string; containerPath?: string }[];
  mounts?: { type?: string; source?: string; target?: string }[];
}

const REQUIRED_LABELS = ["cp3.stack", "cp3.run", "cp3.component"];

/** Every violation, each naming the field, what it is and what is required. */
export function containerViolations(c: ContainerInputs): string[] {
  const v: string[] = [];
  const user = c.user ?? "";
  if (user === "" || /^(0|root)(:|$)/.test(user)) v.push(`user is "${user}": run as a non-root uid:gid (CIS 4.1)`);
  if (c.readOnly !== true) v.push("readOnly is not true: make the root filesystem read-only and give writable paths as tmpfs (CIS 5.13)");
  if (c.privileged === true) v.push("privileged is true: never run privileged (CIS 5.5)");
  if (!(c.capabilities?.drops ?? []).includes("ALL")) v.push('capabilities.drops lacks "ALL": drop every capability, then add back only what is needed (CIS 5.4)');
  if ((c.capabilities?.adds ?? []).length > 0) v.push(`capabilities.adds is ${JSON.stringify(c.capabilities?.adds)}: no testbed container needs a capability back`);
  if (!(c.securityOpts ?? []).includes("no-new-privileges:true")) v.push('securityOpts lacks "no-new-privileges:true" (CIS 5.26)');
  if (!(typeof c.memory === "number" && c.memory > 0)) v.push(`memory is ${JSON.stringify(c.memory)}: set a memory limit in MiB (CIS 5.11)`);
  if (!(Number(c.cpus) > 0)) v.push(`cpus is ${JSON.stringify(c.cpus)}: set a CPU limit (CIS 5.12)`);
  if (!(c.ulimits ?? []).some((u) => u.name === "nproc" && u.hard > 0)) v.push("ulimits lacks nproc: bound the number of processes (CIS 5.29; the provider has no pids_limit)");
  // A one-shot job, or a container that never starts (a secret holder): neither may restart.
  const job = c.attach === true || c.start === false;
  if (job ? c.restart !== "no" : !(c.restart === "on-failure" && (c.maxRetryCount ?? 0) >= 1 && (c.maxRetryCount ?? 0) <= 5)) {
    v.push(`restart is ${JSON.stringify(c.restart)} with maxRetryCount ${JSON.stringify(c.maxRetryCount)}: services restart "on-failure" at most 5 times, one-shot jobs and never-started holders "no" (CIS 5.15)`);
  }
  if (c.logDriver !== "json-file" || !c.logOpts?.["max-size"] || !c.logOpts?.["max-file"]) v.push('logging is not json-file with "max-size" and "max-file": rotate container logs');
  const labels = new Set((c.labels ?? []).map((l) => l.label));
  for (const l of REQUIRED_LABELS) if (!labels.has(l)) v.push(`label ${l} is missing: the sweep and the leftover checks find testbed objects by it`);
  for (const p of c.ports ?? []) if (p.ip !== "127.0.0.1") v.push(`port ${p.internal} is published on "${p.ip ?? "0.0.0.0"}": publish on 127.0.0.1 only`);
  if (c.networkMode === "host") v.push('networkMode is "host": never share the host network namespace (CIS 5.10)');
  if (c.pidMode === "host" || c.ipcMode === "host") v.push("pidMode or ipcMode is host: never share the host's namespaces");
  const hostPaths = [...(c.volumes ?? []).map((x) => x.hostPath ?? ""), ...(c.mounts ?? []).map((m) => m.source ?? "")];
  if (hostPaths.some((p) => p.includes("docker.sock"))) v.push("the Docker socket is mounted: never give a testbed container the engine (CIS 5.32)");
  return v;
}
