import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { hardened, tmpfsFor } from "./hardening";
import { containerRef, labelList, ownershipLabels, type ContainerRef, type Ownership } from "./labels";

export const ALERTMANAGER_PORT = 9093;
export const ALERT_SINK_PORT = 9095;
/** Where Prometheus and the services reach Alertmanager, on the data network. */
export const ALERTMANAGER_URL = `http://alertmanager:${ALERTMANAGER_PORT}`;
const ALERTMANAGER_USER = "10007:10007";

export interface AlertmanagerArgs {
  readonly owner: Ownership;
  /** The monitoring image (images/monitoring). */
  readonly image: pulumi.Input<string>;
  /** A routable network, for the sink's port published on 127.0.0.1. */
  readonly edgeNetworkName: pulumi.Input<string>;
  /** The internal network Prometheus and the services reach Alertmanager on, as `alertmanager`. */
  readonly dataNetworkName: pulumi.Input<string>;
  /** Seconds Alertmanager waits to group a new alert's first notification. @default 0 */
  readonly groupWaitSeconds?: number;
}

/** The configuration: every alert, grouped by what it names, to the sink at once; resolved ones too. */
export function alertmanagerConfig(groupWaitSeconds: number): string {
  return stringify({
    route: { receiver: "sink", group_by: ["alertname", "instance", "server", "slo"], group_wait: `${groupWaitSeconds}s`, group_interval: "5s", repeat_interval: "1h" },
    receivers: [{ name: "sink", webhook_configs: [{ url: `http://alert-sink:${ALERT_SINK_PORT}/alerts`, send_resolved: true }] }],
  });
}

/**
 * Alertmanager (one instance, no gossip) taking alerts from Prometheus and from services about to stop, and the
 * webhook receiver it notifies (images/monitoring/alert-sink.mjs), which keeps every notification for the
 * run's report. Only the sink is published, on 127.0.0.1.
 */
export class Alertmanager extends pulumi.ComponentResource {
  /** http://alertmanager:9093 on the data network: where Prometheus and services send alerts. */
  public readonly url: string;
  /** http://127.0.0.1:<port> of the sink: GET /notifications. */
  public readonly sinkUrl: pulumi.Output<string>;
  public readonly containerNames: pulumi.Output<string[]>;
  /** Its containers, for the container exporter. */
  public readonly containerRefs: pulumi.Output<ContainerRef>[];

  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:observability:Alertmanager", name, {}, opts);
    const groupWait = args.groupWaitSeconds ?? 0;
    if (!Number.isInteger(groupWait) || groupWait < 0 || groupWait > 300) throw new pulumi.ResourceError(`Alertmanager ${name}: groupWaitSeconds is ${groupWait}; give whole seconds from 0 to 300`, this);
    const common = (component: string, memoryMiB: number, tmpfs: Record<string, string>) => ({
      image: args.image,
      ...hardened({ user: ALERTMANAGER_USER, memoryMiB, cpus: 0.25, tmpfs }),
      labels: labelList(ownershipLabels(args.owner, component)),
      wait: true,
      waitTimeout: 60,
    });
    // Every 10 s: each check is an exec the engine pays for, on the machine the system under test runs on.
    const check = (url: string) => ({ tests: ["CMD-SHELL", `curl -fsS ${url} >/dev/null || exit 1`], interval: "10s", timeout: "2s", startPeriod: "2s", retries: 6 });

    const sink = new docker.Container(
      `${name}-sink`,
      {
        ...common("alert-sink", 128, {}),
        name: `cp3-${args.owner.stack}-alert-sink`,
        hostname: "alert-sink",
        command: ["/usr/bin/tini", "--", "node", "/usr/local/lib/cp3/alert-sink.mjs"],
        envs: [`SINK_PORT=${ALERT_SINK_PORT}`],
        networksAdvanced: [{ name: args.edgeNetworkName }, { name: args.dataNetworkName, aliases: ["alert-sink"] }],
        ports: [{ internal: ALERT_SINK_PORT, ip: "127.0.0.1" }],
        healthcheck: check(`http://127.0.0.1:${ALERT_SINK_PORT}/healthz`),
      },
      { parent: this },
    );
    // The configuration comes in the environment and is checked by amtool before Alertmanager starts on it.
    const script = [
      'printf "%s\\n" "$ALERTMANAGER_CONFIG" > /run/alertmanager/alertmanager.yml',
      "amtool check-config /run/alertmanager/alertmanager.yml >&2",
      `exec prometheus-alertmanager --config.file=/run/alertmanager/alertmanager.yml --storage.path=/alertmanager --web.listen-address=0.0.0.0:${ALERTMANAGER_PORT} --cluster.listen-address=`,
    ].join(" && ");
    const server = new docker.Container(
      `${name}-server`,
      {
        ...common("alertmanager", 128, { "/alertmanager": tmpfsFor(ALERTMANAGER_USER, 16), "/run/alertmanager": tmpfsFor(ALERTMANAGER_USER, 1) }),
        name: `cp3-${args.owner.stack}-${name}`,
        hostname: "alertmanager",
        command: ["/usr/bin/tini", "--", "sh", "-c", script],
        envs: [`ALERTMANAGER_CONFIG=${alertmanagerConfig(groupWait)}`],
        networksAdvanced: [{ name: args.dataNetworkName, aliases: ["alertmanager"] }],
        healthcheck: check(`http://127.0.0.1:${ALERTMANAGER_PORT}/-/ready`),
      },
      { parent: this, dependsOn: [sink] },
    );
    this.url = ALERTMANAGER_URL;
    this.sinkUrl = sink.ports.apply((ports) => {
      const external = (ports ?? []).find((p) => p.internal === ALERT_SINK_PORT)?.external;
      if (!external) throw new Error(`Alertmanager ${name}: the engine reported no host port for the sink's ${ALERT_SINK_PORT}`);
      return `http://127.0.0.1:${external}`;
    });
    this.containerNames = pulumi.all([server.name, sink.name]);
    this.containerRefs = [containerRef(server, "alertmanager"), containerRef(sink, "alert-sink")];
    this.registerOutputs({ sinkUrl: this.sinkUrl, containerNames: this.containerNames });
  }
}
