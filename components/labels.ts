import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** Who a testbed object belongs to: the orphan sweep and the leftover checks find objects by these labels. */
export interface Ownership {
  stack: string;
  run: string;
  /** ISO 8601 time after which an orphan may be swept; empty for never. */
  expires: string;
}

export function ownershipLabels(owner: Ownership, component: string): Record<string, string> {
  const labels: Record<string, string> = { "cp3.stack": owner.stack, "cp3.run": owner.run, "cp3.component": component };
  if (owner.expires !== "") labels["cp3.expires"] = owner.expires;
  return labels;
}

/** The containers the monitoring adds to a stack, by their cp3.component label: the testbed's, not the system's. */
export const MONITORING_COMPONENTS: readonly string[] = ["prometheus", "nats-exporter", "postgres-exporter", "container-exporter", "alertmanager", "alert-sink", "jaeger"];

/** A container the container exporter watches: its name, the engine's id (which names its cgroup) and its cp3.component. */
export interface ContainerRef {
  name: string;
  id: string;
  component: string;
}

export const containerRef = (container: docker.Container, component: string): pulumi.Output<ContainerRef> =>
  pulumi.all([container.name, container.id]).apply(([name, id]) => ({ name, id, component }));

/** The provider's form of a label map. */
export function labelList(labels: Record<string, string>): docker.types.input.ContainerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/** The name of an instance's kept path (services[].volumes) as a volume: "worker-0" + "/var/spool/x" → "worker-0-var-spool-x". */
export const keptVolumeName = (instance: string, path: string): string => `${instance}-${path.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
