import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { READS_SECRETS_AT_START_LABEL } from "../lib/secret-holders";
import { hardened, tmpfsFor } from "./hardening";
import { containerRef, keptVolumeName, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";
import { secretFileNameProblem, SecretVolume, type SecretFiles } from "./secret-files";

/** How the engine checks a container: an HTTP path, a TCP port or a command, inside the container. */
export type ContainerCheck = { http: { port: number; path: string } } | { tcp: { port: number } } | { command: string[] };

export interface ServiceArgs {
  readonly owner: Ownership;
  readonly image: pulumi.Input<string>;
  /** Containers running the service, each its own instance (`<name>-<i>` when more than one). @default 1 */
  readonly replicas?: number;
  /** Replaces the image's CMD. */
  readonly command?: string[];
  /** Environment; `{{instance}}` in a value becomes the container's instance name. @default {} */
  readonly env?: Record<string, pulumi.Input<string>>;
  /** Published on 127.0.0.1: 0 lets the engine pick the host port, a number fixes it; needs a single replica. */
  readonly entry?: { port: number; hostPort: number };
  /** The engine's health check; undefined keeps the image's own HEALTHCHECK. */
  readonly check?: ContainerCheck;
  /** Seconds between two health checks: each is an exec in the container, which costs the engine CPU. @default 2 */
  readonly checkIntervalSeconds?: number;
  /** Networks to join; on the first the service answers to its name and its instance name. */
  readonly networkNames: pulumi.Input<string>[];
  /** Gates that must pass before the service starts (the migration, another service being healthy). @default [] */
  readonly after?: pulumi.Input<string>[];
  /** Writable tmpfs mounts (path → MiB); the root filesystem is read-only. @default {} */
  readonly tmpfs?: Record<string, number>;
  /**
   * Writable paths on a named volume per instance (path → MiB, a bound the engine's local volumes do not enforce):
   * kept when the process is killed and restarted, removed with the stack. The engine copies the image's
   * directory (its owner included) into a new volume, so the image should make it owned by `user`. @default {}
   */
  readonly volumes?: Record<string, number>;
  /** Numeric uid:gid. @default "10002:10002" */
  readonly user?: string;
  /** Secrets as files in /run/secrets (name -> content), readable only by `user`; never variables. @default {} */
  readonly secretFiles?: SecretFiles;
  /**
   * The process reads its secret files only when it starts (not at each new connection): `cp3 rotate-secret`
   * restarts its containers once the server has the new password (they carry READS_SECRETS_AT_START_LABEL).
   * @default false
   */
  readonly secretsReadAtStart?: boolean;
  /** The image the (never started) holder of the secret files is created from: one that does not change with the code keeps a rebuild from rewriting the files. @default image */
  readonly holderImage?: pulumi.Input<string>;
  /** Folders bind-mounted read-only (dev hot reload). @default [] */
  readonly mounts?: { source: string; target: string }[];
  /** @default 256 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

const healthcheck = (c: ContainerCheck, intervalSeconds: number): docker.types.input.ContainerHealthcheck => ({
  tests:
    "http" in c
      ? ["CMD-SHELL", `curl -fsS http://127.0.0.1:${c.http.port}${c.http.path} >/dev/null || exit 1`]
      : "tcp" in c
        ? ["CMD-SHELL", `exec 3<>/dev/tcp/127.0.0.1/${c.tcp.port}`]
        : ["CMD", ...c.command],
  interval: `${intervalSeconds}s`,
  timeout: "2s",
  startPeriod: "2s",
  retries: Math.max(3, Math.ceil(30 / intervalSeconds)),
});

/** One service of the system under test as `replicas` hardened containers from its image. */
export class Service extends pulumi.ComponentResource {
  public readonly containerNames: pulumi.Output<string[]>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];
  /** http://127.0.0.1:<port> of the entry port, when the service has one. */
  public readonly url: pulumi.Output<string | undefined>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:services:Service", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const user = args.user ?? "10002:10002";
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new pulumi.ResourceError(`Service ${name}: the name must be lower-case letters, digits and '-', starting with a letter`, this);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new pulumi.ResourceError(`Service ${name}: replicas is ${replicas}; give an integer from 1 to 16`, this);
    for (const file of Object.keys(args.secretFiles ?? {})) {
      const problem = secretFileNameProblem(file);
      if (problem) throw new pulumi.ResourceError(`Service ${name}: secretFiles has ${problem}`, this);
    }
    for (const path of Object.keys(args.volumes ?? {})) {
      if (!path.startsWith("/") || path === "/") throw new pulumi.ResourceError(`Service ${name}: volumes has "${path}"; give absolute directories other than /`, this);
    }
    if (args.networkNames.length === 0) throw new pulumi.ResourceError(`Service ${name}: networkNames is empty; give at least the data network`, this);
    if (!/^[1-9][0-9]*:[0-9]+$/.test(user)) throw new pulumi.ResourceError(`Service ${name}: user is "${user}"; give a numeric uid:gid other than root`, this);
    if (args.entry && (replicas > 1 || args.entry.hostPort < 0 || args.entry.hostPort > 65_535)) {
      throw new pulumi.ResourceError(`Service ${name}: an entry port needs a single replica and a host port from 0 (engine-picked) to 65535`, this);
    }

    // A gate is a string output that fails when its job failed; joining them makes every container wait.
    const gate = pulumi.all(args.after ?? []).apply((passed) => passed.join(","));
    const secretFiles = args.secretFiles ?? {};
    const secrets = Object.keys(secretFiles).length === 0 ? undefined : new SecretVolume(`${name}-secrets`, { owner: args.owner, component: name, user, files: secretFiles, image: args.holderImage ?? args.image }, { parent: this });
    const tmpfs = Object.fromEntries(Object.entries(args.tmpfs ?? {}).map(([p, mib]) => [p, tmpfsFor(user, mib)]));
    const containers = Array.from({ length: replicas }, (_, i) => {
      const instance = replicas === 1 ? name : `${name}-${i}`;
      const envs = pulumi.all([gate, pulumi.all(args.env ?? {})]).apply(([passed, resolved]) => [
        ...Object.entries(resolved).map(([k, v]) => `${k}=${v.replaceAll("{{instance}}", instance)}`),
        ...(passed ? [`CP3_STARTED_AFTER=${passed}`] : []),
      ]);
      const kept = Object.keys(args.volumes ?? {}).map((path, j) => ({
        containerPath: path,
        volume: new docker.Volume(`${name}-${i}-volume-${j}`, { name: `cp3-${args.owner.stack}-${keptVolumeName(instance, path)}`, labels: labelList(ownershipLabels(args.owner, name)) }, { parent: this }),
      }));
      return new docker.Container(
        `${name}-${i}`,
        {
          name: `cp3-${args.owner.stack}-${instance}`,
          image: args.image,
          hostname: instance,
          command: args.command,
          ...hardened({ user, memoryMiB: args.memoryMiB ?? 256, cpus: args.cpus ?? 0.5, tmpfs }),
          envs,
          networksAdvanced: args.networkNames.map((n, j) => (j === 0 ? { name: n, aliases: [name, instance] } : { name: n })),
          ports: args.entry ? [{ internal: args.entry.port, ip: "127.0.0.1", external: args.entry.hostPort === 0 ? undefined : args.entry.hostPort }] : undefined,
          healthcheck: args.check ? healthcheck(args.check, args.checkIntervalSeconds ?? 2) : undefined,
          volumes: secrets || kept.length > 0 ? [...(secrets ? [secrets.mount] : []), ...kept.map((k) => ({ volumeName: k.volume.name, containerPath: k.containerPath }))] : undefined,
          mounts: args.mounts && args.mounts.length > 0 ? args.mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: true })) : undefined,
          labels: labelList({ ...ownershipLabels(args.owner, name), ...(args.secretsReadAtStart ? READS_SECRETS_AT_START_LABEL : {}) }),
          wait: true,
          waitTimeout: 60,
        },
        { parent: this, dependsOn: secrets ? [secrets.holder] : [] },
      );
    });
    this.containerNames = pulumi.all(containers.map((c) => c.name));
    this.containerRefs = containers.map((c) => containerRef(c, name));
    const entry = args.entry;
    this.url = !entry
      ? pulumi.output(undefined)
      : containers[0]!.ports.apply((ports) => {
          const external = (ports ?? []).find((p) => p.internal === entry.port)?.external;
          if (!external) throw new Error(`Service ${name}: the engine reported no host port for ${entry.port}`);
          return `http://127.0.0.1:${external}`;
        });
    this.registerOutputs({ containerNames: this.containerNames, url: this.url });
  }
}
