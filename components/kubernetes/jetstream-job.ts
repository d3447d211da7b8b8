import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { consumerConfig, streamConfig, type ConsumerSpec, type StreamSpec } from "../jetstream";
import type { Ownership } from "../labels";
import { secretPath, TLS_CA_FILE } from "../secret-files";
import { AWAIT, DNS_LABEL, literal, oneShotJob } from "./pod";
import type { Core } from "./pod";

export interface JetStreamJobArgs {
  readonly owner: Ownership;
  readonly namespace: pulumi.Input<string>;
  /** The NATS image, which carries the nats CLI and the set-up script. */
  readonly image: pulumi.Input<string>;
  /** nats://<ClusterIP>:4222 of every server (or by the names hostAliases give). */
  readonly natsUrls: pulumi.Input<string>[];
  /** The servers require TLS: the Secret whose `tls-ca` key verifies them (KubernetesNats.tlsSecretName). @default plain TCP */
  readonly tlsCaSecret?: pulumi.Input<string>;
  /** Names in the pod's /etc/hosts: the servers' certificate names. @default none */
  readonly hostAliases?: pulumi.Input<Core.HostAlias[]>;
  readonly stream: StreamSpec;
  readonly consumer: ConsumerSpec;
  /** The Job's name (a DNS label); its pods carry app.kubernetes.io/name=<workload>. @default the component's name */
  readonly workload?: string;
}

/**
 * Creates the stream and its durable pull consumer as a Job once NATS is up. The provider waits for the Job to
 * complete (and fails when it fails), so services that depend on it start only after it succeeded.
 */
export class JetStreamJob extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;
  public readonly workloadName: pulumi.Output<string>;

  constructor(name: string, args: JetStreamJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:JetStreamJob", name, {}, opts);
    const workload = args.workload ?? name;
    if (!DNS_LABEL.test(workload)) throw new pulumi.ResourceError(`JetStreamJob ${name}: workload is "${workload}"; give a DNS label`, this);
    if (args.natsUrls.length === 0) throw new pulumi.ResourceError(`JetStreamJob ${name}: natsUrls is empty; give the NATS servers' URLs`, this);
    if (args.stream.replicas > args.natsUrls.length) {
      throw new pulumi.ResourceError(`JetStreamJob ${name}: stream replicas ${args.stream.replicas} exceed the ${args.natsUrls.length} NATS server(s); give at most ${args.natsUrls.length}`, this);
    }
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      oneShotJob({
        owner: args.owner,
        namespace: args.namespace,
        workload,
        image: args.image,
        command: ["/usr/bin/tini", "--", "/usr/local/bin/jetstream-setup"],
        env: [
          { name: "NATS_URL", value: pulumi.all(args.natsUrls).apply((u) => u.join(",")) },
          { name: "STREAM_NAME", value: literal(args.stream.name) },
          { name: "STREAM_CONFIG", value: literal(JSON.stringify(streamConfig(args.stream))) },
          { name: "CONSUMER_NAME", value: literal(args.consumer.name) },
          { name: "CONSUMER_CONFIG", value: literal(JSON.stringify(consumerConfig(args.consumer))) },
          ...(args.tlsCaSecret ? [{ name: "NATS_CA_FILE", value: secretPath(TLS_CA_FILE) }] : []),
        ],
        user: "10001:10001",
        ...(args.tlsCaSecret ? { secretFiles: { secretName: args.tlsCaSecret, files: { [TLS_CA_FILE]: TLS_CA_FILE } } } : {}),
        ...(args.hostAliases ? { hostAliases: args.hostAliases } : {}),
      }),
      { parent: this, deleteBeforeReplace: true, customTimeouts: AWAIT },
    );
    this.workloadName = this.job.metadata.name;
    this.registerOutputs({ workloadName: this.workloadName });
  }
}
