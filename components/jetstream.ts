import * as pulumi from "@pulumi/pulumi";
import { OneShotJob } from "./job";
import type { Ownership } from "./labels";
import { secretPath, TLS_CA_FILE } from "./secret-files";

export interface StreamSpec {
  readonly name: string;
  readonly subjects: string[];
  readonly maxMsgs: number;
  readonly maxBytesMiB: number;
  readonly maxAgeSeconds: number;
  readonly duplicateWindowSeconds: number;
  /** "new" rejects publishes when full (the gateway pushes back); "old" silently evicts. */
  readonly discard: "new" | "old";
  /** Stream replicas: 1, or 3 on a three-node cluster. */
  readonly replicas: number;
}

export interface ConsumerSpec {
  readonly name: string;
  readonly maxAckPending: number;
  readonly ackWaitSeconds: number;
  readonly maxDeliver: number;
}

export interface JetStreamArgs {
  readonly owner: Ownership;
  /** The NATS image, which carries the nats CLI and the set-up script. */
  readonly image: pulumi.Input<string>;
  readonly networkName: pulumi.Input<string>;
  readonly natsUrls: string[];
  readonly stream: StreamSpec;
  readonly consumer: ConsumerSpec;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** IDs of the NATS containers: a replaced server has lost the stream, so the set-up runs again. */
  readonly serverIds: pulumi.Input<string>[];
  /** The CA the servers' TLS certificate is verified with, when they require TLS. @default plain TCP */
  readonly tlsCa?: pulumi.Input<string>;
  /** The image the (never started) holder of the CA file is created from. @default image */
  readonly holderImage?: pulumi.Input<string>;
}

const NS = 1_000_000_000;

/** The stream's JSON definition in the form `nats stream add --config` reads (JetStream's API names). */
export function streamConfig(s: StreamSpec): Record<string, unknown> {
  return {
    name: s.name,
    subjects: s.subjects,
    // Work-queue retention: a message is gone once a worker acks it.
    retention: "workqueue",
    storage: "file",
    num_replicas: s.replicas,
    max_msgs: s.maxMsgs,
    max_bytes: s.maxBytesMiB * 1024 * 1024,
    max_age: s.maxAgeSeconds * NS,
    duplicate_window: s.duplicateWindowSeconds * NS,
    discard: s.discard,
    max_msgs_per_subject: -1,
    max_msg_size: -1,
    max_consumers: -1,
  };
}

export function consumerConfig(c: ConsumerSpec): Record<string, unknown> {
  return {
    durable_name: c.name,
    ack_policy: "explicit",
    deliver_policy: "all",
    replay_policy: "instant",
    ack_wait: c.ackWaitSeconds * NS,
    max_deliver: c.maxDeliver,
    max_ack_pending: c.maxAckPending,
  };
}

/** Creates the testbed's stream and durable pull consumer from typed definitions, once NATS is up. */
export class JetStream extends pulumi.ComponentResource {
  public readonly done: pulumi.Output<string>;

  constructor(name: string, args: JetStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:nats:JetStream", name, {}, opts);
    if (args.natsUrls.length === 0) throw new pulumi.ResourceError(`JetStream ${name}: natsUrls is empty; give the NATS servers' URLs`, this);
    if (args.stream.replicas > args.natsUrls.length) {
      throw new pulumi.ResourceError(`JetStream ${name}: stream replicas ${args.stream.replicas} exceed the ${args.natsUrls.length} NATS server(s); give at most ${args.natsUrls.length}`, this);
    }
    const job = new OneShotJob(
      `${name}-setup`,
      {
        owner: args.owner,
        image: args.image,
        entrypoint: ["/usr/bin/tini", "--", "/usr/local/bin/jetstream-setup"],
        envs: [
          `NATS_URL=${args.natsUrls.join(",")}`,
          `STREAM_NAME=${args.stream.name}`,
          `STREAM_CONFIG=${JSON.stringify(streamConfig(args.stream))}`,
          `CONSUMER_NAME=${args.consumer.name}`,
          `CONSUMER_CONFIG=${JSON.stringify(consumerConfig(args.consumer))}`,
          ...(args.tlsCa ? [`NATS_CA_FILE=${secretPath(TLS_CA_FILE)}`] : []),
        ],
        secretFiles: args.tlsCa ? { [TLS_CA_FILE]: args.tlsCa } : undefined,
        holderImage: args.holderImage,
        networkName: args.networkName,
        user: "10001:10001",
        dependsOn: args.dependsOn,
        rerunWhen: args.serverIds,
      },
      { parent: this },
    );
    this.done = job.done;
    this.registerOutputs({ done: this.done });
  }
}
