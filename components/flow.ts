import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hardened, tmpfsFor } from "./hardening";
import { labelList, ownershipLabels, type Ownership } from "./labels";

const FLOW_USER = "10002:10002";

export interface FlowArgs {
  readonly owner: Ownership;
  /** The flow's image (stage 2: the base image plus this flow's code). */
  readonly image: pulumi.Input<string>;
  /** The flow's name, as in workload/flows/<flow>. */
  readonly flow: string;
  /** Containers running the flow, each its own instance. @default 1 */
  readonly replicas?: number;
  /** The port its HTTP server (health, metrics, API) listens on. */
  readonly httpPort: number;
  /** Networks to join; the first one carries the flow's alias. */
  readonly networkNames: pulumi.Input<string>[];
  /**
   * Publish the HTTP port on 127.0.0.1: 0 lets the engine pick the host port (ci), a number fixes it (dev).
   * Undefined publishes nothing.
   */
  readonly hostPort?: number;
  /** CONTAINER_* settings for the flow's core library. @default {} */
  readonly settings?: Record<string, pulumi.Input<string>>;
  /** Gates that must pass before the flow starts (for example the migration). @default [] */
  readonly after?: pulumi.Input<string>[];
  /** dev only: bind-mount these folders over the flow's code and the core library, and restart on change. */
  readonly hotReload?: { flowSource: string; coreSource: string };
  /** @default 256 */
  readonly memoryMiB?: number;
  /** @default 0.5 */
  readonly cpus?: number;
}

/** One flow (gateway, worker, ...) as `replicas` hardened containers from its image. */
export class Flow extends pulumi.ComponentResource {
  public readonly containerNames: pulumi.Output<string[]>;
  /** http://127.0.0.1:<port> of the first replica when published. */
  public readonly url: pulumi.Output<string | undefined>;

  constructor(name: string, args: FlowArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:flows:Flow", name, {}, opts);
    const replicas = args.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new pulumi.ResourceError(`Flow ${name}: replicas is ${replicas}; give an integer from 1 to 16`, this);
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(args.flow)) throw new pulumi.ResourceError(`Flow ${name}: flow "${args.flow}" must name a folder under workload/flows (lower-case)`, this);
    if (args.networkNames.length === 0) throw new pulumi.ResourceError(`Flow ${name}: networkNames is empty; give at least the data network`, this);
    if (args.hostPort !== undefined && (args.hostPort < 0 || args.hostPort > 65535 || (args.hostPort !== 0 && replicas > 1))) {
      throw new pulumi.ResourceError(`Flow ${name}: hostPort ${args.hostPort} needs 0 (engine-picked) or a fixed port with a single replica`, this);
    }

    // A gate is a string output that fails when its job failed; joining them makes every container wait.
    const gate = pulumi.all(args.after ?? []).apply((passed) => passed.join(","));
    const settings = { ...(args.settings ?? {}) };
    const containers = Array.from({ length: replicas }, (_, i) => {
      const instance = replicas === 1 ? args.flow : `${args.flow}-${i}`;
      const envs = pulumi.all([gate, pulumi.all(settings)]).apply(([passed, resolved]) => [
        `CONTAINER_FLOW__NAME=${args.flow}`,
        `CONTAINER_FLOW__INSTANCE=${instance}`,
        `CONTAINER_HTTP__PORT=${args.httpPort}`,
        ...Object.entries(resolved).map(([k, v]) => `${k}=${v}`),
        ...(passed ? [`CP3_STARTED_AFTER=${passed}`] : []),
        ...(args.hotReload ? ["NODE_OPTIONS_EXTRA=--watch"] : []),
      ]);
      return new docker.Container(
        `${name}-${i}`,
        {
          name: `cp3-${args.owner.stack}-${instance}`,
          image: args.image,
          hostname: instance,
          ...hardened({ user: FLOW_USER, memoryMiB: args.memoryMiB ?? 256, cpus: args.cpus ?? 0.5, tmpfs: { "/tmp": tmpfsFor(FLOW_USER, 32) } }),
          envs,
          networksAdvanced: args.networkNames.map((n, j) => (j === 0 ? { name: n, aliases: [args.flow, instance] } : { name: n })),
          ports: args.hostPort === undefined ? undefined : [{ internal: args.httpPort, ip: "127.0.0.1", external: args.hostPort === 0 ? undefined : args.hostPort }],
          mounts: args.hotReload
            ? [
                { type: "bind", source: args.hotReload.coreSource, target: "/app/core", readOnly: true },
                { type: "bind", source: args.hotReload.flowSource, target: `/app/flows/${args.flow}`, readOnly: true },
              ]
            : undefined,
          labels: labelList(ownershipLabels(args.owner, args.flow)),
          wait: true,
          waitTimeout: 60,
        },
        { parent: this },
      );
    });
    this.containerNames = pulumi.all(containers.map((c) => c.name));
    this.url =
      args.hostPort === undefined
        ? pulumi.output(undefined)
        : containers[0]!.ports.apply((ports) => {
            const external = (ports ?? []).find((p) => p.internal === args.httpPort)?.external;
            if (!external) throw new Error(`Flow ${name}: the engine reported no host port for ${args.httpPort}`);
            return `http://127.0.0.1:${external}`;
          });
    this.registerOutputs({ containerNames: this.containerNames, url: this.url });
  }
}
