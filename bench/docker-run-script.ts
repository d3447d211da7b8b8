// Turns a running stack's containers (as the engine reports them) into a plain shell script of `docker network
// create` and `docker run` commands that starts the same containers from the same images, in the same order:
// the baseline `cp3 bench up` compares Pulumi against.
import type { ContainerInspect } from "../lib/docker-api";

export interface ScriptContainer {
  inspect: ContainerInspect;
  /** Jobs run in the foreground, to completion, between the services and the flows. */
  job: boolean;
}

/** A never-started secret holder: its volume is made and filled from the archive saved of the stack's. */
export interface ScriptHolder {
  inspect: ContainerInspect;
  /** A tar of the holder's /run/secrets (entries secrets/<file>, owner and mode kept), saved beside the script. */
  archive: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const ANONYMOUS = /^[0-9a-f]{64}$/;

const namedVolumes = (i: ContainerInspect) => i.Mounts.filter((m) => m.Type === "volume" && m.Name !== undefined && !ANONYMOUS.test(m.Name));

/** The named volumes a container mounts, as `docker run -v` arguments under the prefix (`docker run` creates them). */
const volumeArgs = (i: ContainerInspect, prefix: string) => namedVolumes(i).map((m) => `-v ${q(`${prefix}${m.Name}:${m.Destination}${m.RW ? "" : ":ro"}`)}`);

/** The named volumes the containers mount, under the prefix: what removing the baseline removes. */
export const baselineVolumes = (inspects: ContainerInspect[], prefix: string) => [...new Set(inspects.flatMap((i) => namedVolumes(i).map((m) => prefix + m.Name!)))];

function holderCommands(h: ScriptHolder, prefix: string): string {
  const name = q(prefix + h.inspect.Name.replace(/^\//, ""));
  return [`docker create --name ${name} ${volumeArgs(h.inspect, prefix).join(" ")} ${q(h.inspect.Config.Image)} /bin/true >/dev/null`, `docker cp - ${name}:/run < ${q(h.archive)}`].join("\n");
}

function runCommand(c: ScriptContainer, prefix: string): string {
  const i = c.inspect;
  const h = i.HostConfig;
  const nets = Object.entries(i.NetworkSettings.Networks);
  const args = [c.job ? "docker run --rm" : "docker run -d", `--name ${q(prefix + i.Name.replace(/^\//, ""))}`, `--hostname ${q(i.Config.Hostname)}`];
  if (i.Config.User) args.push(`--user ${q(i.Config.User)}`);
  if (h.ReadonlyRootfs) args.push("--read-only");
  for (const [path, opts] of Object.entries(h.Tmpfs ?? {})) args.push(`--tmpfs ${q(`${path}:${opts}`)}`);
  for (const cap of h.CapDrop ?? []) args.push(`--cap-drop ${cap}`);
  for (const opt of h.SecurityOpt ?? []) args.push(`--security-opt ${q(opt)}`);
  if (h.Memory) args.push(`--memory ${h.Memory}b --memory-swap ${h.Memory}b`);
  if (h.NanoCpus) args.push(`--cpus ${h.NanoCpus / 1e9}`);
  if (h.ShmSize) args.push(`--shm-size ${h.ShmSize}b`);
  args.push(...volumeArgs(i, prefix));
  for (const u of h.Ulimits ?? []) args.push(`--ulimit ${u.Name}=${u.Soft}:${u.Hard}`);
  if (!c.job && h.RestartPolicy?.Name === "on-failure") args.push(`--restart on-failure:${h.RestartPolicy.MaximumRetryCount}`);
  for (const [port, bindings] of Object.entries(h.PortBindings ?? {})) for (const b of bindings ?? []) args.push(`-p ${b.HostIp}::${port.split("/")[0]}`);
  const [first, ...others] = nets;
  if (first) {
    args.push(`--network ${q(prefix + first[0])}`);
    for (const alias of (first[1].Aliases ?? []).filter((a) => !/^[0-9a-f]{12}$/.test(a))) args.push(`--network-alias ${q(alias)}`);
  }
  for (const e of i.Config.Env ?? []) args.push(`-e ${q(e)}`);
  if (i.Config.Entrypoint && c.job) args.push(`--entrypoint ${q(i.Config.Entrypoint[0]!)}`);
  args.push(q(i.Config.Image));
  if (i.Config.Entrypoint && c.job) args.push(...i.Config.Entrypoint.slice(1).map(q));
  const lines = [args.join(" ")];
  // `docker run` takes one network; the others are connected before the container does anything useful.
  for (const [net, settings] of others) {
    const aliases = (settings.Aliases ?? []).filter((a) => !/^[0-9a-f]{12}$/.test(a)).map((a) => `--alias ${q(a)}`);
    lines.push(`docker network connect ${aliases.join(" ")} ${q(prefix + net)} ${q(prefix + i.Name.replace(/^\//, ""))}`);
  }
  return lines.join("\n");
}

/** Waits until every named container reports healthy. */
function waitHealthy(names: string[]): string {
  return [
    `for c in ${names.map(q).join(" ")}; do`,
    `  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$c")" = healthy ]; do sleep 0.2; done`,
    "done",
  ].join("\n");
}

/**
 * The script. `prefix` renames every container and network so the baseline can run while nothing of the stack
 * is left. The secret holders come first (created, filled, never started), then the services, the jobs and the
 * flows, each group waited on until healthy.
 */
export function dockerRunScript(networks: { name: string; internal: boolean }[], holders: ScriptHolder[], services: ScriptContainer[], jobs: ScriptContainer[], flows: ScriptContainer[], prefix: string): string {
  const name = (c: ScriptContainer) => prefix + c.inspect.Name.replace(/^\//, "");
  return [
    "#!/bin/sh",
    "set -eu",
    ...networks.map((n) => `docker network create ${n.internal ? "--internal " : ""}${q(prefix + n.name)} >/dev/null`),
    ...holders.map((h) => holderCommands(h, prefix)),
    ...services.map((c) => runCommand(c, prefix)),
    waitHealthy(services.map(name)),
    ...jobs.map((c) => `${runCommand(c, prefix)} >/dev/null`),
    ...flows.map((c) => runCommand(c, prefix)),
    waitHealthy(flows.map(name)),
    "",
  ].join("\n");
}
