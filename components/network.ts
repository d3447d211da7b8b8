import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { labelList, ownershipLabels, type Ownership } from "./labels";

export interface TestbedNetworkArgs {
  readonly owner: Ownership;
  /** No route out of the network (data services). @default false */
  readonly internal?: boolean;
}

/** A user-defined bridge network whose name is unique per stack, so stacks side by side never share one. */
export class TestbedNetwork extends pulumi.ComponentResource {
  public readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: TestbedNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:network:TestbedNetwork", name, {}, opts);
    const network = new docker.Network(
      `${name}-bridge`,
      {
        name: `cp3-${args.owner.stack}-${name}`,
        driver: "bridge",
        internal: args.internal ?? false,
        labels: labelList(ownershipLabels(args.owner, "network")),
      },
      { parent: this },
    );
    this.networkName = network.name;
    this.registerOutputs({ networkName: this.networkName });
  }
}
