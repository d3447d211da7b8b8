import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Ownership } from "../labels";
import { DNS_LABEL, ownershipAnnotations, PART_OF, POD_SECURITY_VERSION } from "./pod";

export interface TestbedNamespaceArgs {
  readonly owner: Ownership;
  /** The namespace's name, a DNS label (e.g. `cp3-<stack>`). */
  readonly name: string;
}

/** Pod Security admission labels: refuse (enforce), warn about and audit anything short of `restricted`. */
export function podSecurityLabels(): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "warn", "audit"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = "restricted";
    labels[`pod-security.kubernetes.io/${mode}-version`] = POD_SECURITY_VERSION;
  }
  return labels;
}

/**
 * The stack's own namespace: everything of one testbed lives in it, and deleting it removes all of it. The API
 * server refuses any pod in it that does not meet the restricted profile.
 */
export class TestbedNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: TestbedNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:Namespace", name, {}, opts);
    if (!DNS_LABEL.test(args.name)) throw new pulumi.ResourceError(`Namespace ${name}: name is "${args.name}"; give a DNS label (lower-case letters, digits and '-', up to 63)`, this);
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.name,
          labels: { ...podSecurityLabels(), "app.kubernetes.io/part-of": PART_OF, "cp3.component": "namespace", "cp3.stack": args.owner.stack, "cp3.run": args.owner.run },
          annotations: ownershipAnnotations(args.owner),
        },
      },
      { parent: this },
    );
    this.name = ns.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
