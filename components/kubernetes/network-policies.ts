// Which pod may talk to which, from the description: default deny in both directions, then exactly the paths the
// wiring implies. Debian's bridge CNI, which the local cluster runs, does not enforce NetworkPolicy: these are
// declared (and tested as declared) so that a cluster with an enforcing CNI gets the same isolation Docker's
// internal data network gives.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TestbedSpec } from "../../testbed/spec";
import type { Ownership } from "../labels";
import { NATS_CLIENT_PORT, NATS_CLUSTER_PORT, NATS_MONITOR_PORT } from "../nats";
import { POSTGRES_PORT } from "../postgres";
import { objectMeta, selectorLabels } from "./pod";

/** Traffic allowed from one workload's pods (or from anywhere: "*") to another's, on TCP ports. */
export interface AllowedPath {
  readonly from: string;
  readonly to: string;
  readonly ports: number[];
}

export interface PathPlan {
  readonly spec: TestbedSpec;
  /** Whether a service's link to NATS or PostgreSQL goes through Toxiproxy (chaos.proxy and the links). */
  readonly proxied: (service: string, to: "nats" | "postgres") => boolean;
  readonly workloads: { nats: string; postgres: string; toxiproxy: string; jetstreamJobs: string[]; migrationJobs: string[] };
  readonly toxiproxyPorts: { nats: number[]; postgres: number; api: number; hostAccess: number[] };
}

/** The paths the description implies: its wiring (nats.url, postgres.*, service:<n>.url), the jobs, Toxiproxy's upstreams, the entry and host access. */
export function allowedPaths(p: PathPlan): AllowedPath[] {
  const { spec, workloads: w, toxiproxyPorts: tp } = p;
  const paths: AllowedPath[] = [];
  const natsPorts = (service: string) => (p.proxied(service, "nats") ? { to: w.toxiproxy, ports: tp.nats } : { to: w.nats, ports: [NATS_CLIENT_PORT] });
  const postgresPorts = (service: string) => (p.proxied(service, "postgres") ? { to: w.toxiproxy, ports: [tp.postgres] } : { to: w.postgres, ports: [POSTGRES_PORT] });
  for (const s of spec.services) {
    const froms = Object.values(s.env).flatMap((v) => (typeof v === "string" ? [] : [v.from]));
    if (froms.includes("nats.url")) paths.push({ from: s.name, ...natsPorts(s.name) });
    if (froms.some((f) => f.startsWith("postgres."))) paths.push({ from: s.name, ...postgresPorts(s.name) });
    for (const f of new Set(froms)) {
      const other = /^service:(.+)\.url$/.exec(f)?.[1];
      const target = spec.services.find((o) => o.name === other);
      if (target) paths.push({ from: s.name, to: target.name, ports: [target.ports[0]!.port] });
    }
    const entry = s.ports.find((x) => x.entry);
    // NodePort traffic reaches the pod from the node, through kube-proxy: from anywhere.
    if (entry) paths.push({ from: "*", to: s.name, ports: [entry.port] });
  }
  paths.push({ from: w.toxiproxy, to: w.nats, ports: [NATS_CLIENT_PORT, NATS_MONITOR_PORT] });
  paths.push({ from: w.toxiproxy, to: w.postgres, ports: [POSTGRES_PORT] });
  paths.push({ from: "*", to: w.toxiproxy, ports: [tp.api, ...tp.hostAccess] });
  if (spec.nats.replicas > 1) paths.push({ from: w.nats, to: w.nats, ports: [NATS_CLUSTER_PORT] });
  for (const job of w.jetstreamJobs) paths.push({ from: job, to: w.nats, ports: [NATS_CLIENT_PORT] });
  for (const job of w.migrationJobs) paths.push({ from: job, to: w.postgres, ports: [POSTGRES_PORT] });
  return paths;
}

export interface TestbedNetworkPoliciesArgs {
  readonly owner: Ownership;
  readonly namespace: pulumi.Input<string>;
  readonly paths: AllowedPath[];
}

const tcp = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b).map((port) => ({ protocol: "TCP", port }));

/** A default-deny NetworkPolicy for the namespace, and per workload one that lets exactly its paths in and out. */
export class TestbedNetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: TestbedNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:kubernetes:NetworkPolicies", name, {}, opts);
    for (const [i, path] of args.paths.entries()) {
      if (path.to === "*" || path.ports.length === 0 || path.ports.some((x) => !Number.isInteger(x) || x < 1 || x > 65_535)) {
        throw new pulumi.ResourceError(`NetworkPolicies ${name}: paths[${i}] (${path.from} -> ${path.to}) needs a workload to go to and ports from 1 to 65535`, this);
      }
    }
    const { owner, namespace } = args;
    new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      { metadata: objectMeta(owner, namespace, "default-deny", "network-policy"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
      { parent: this },
    );
    const workloads = [...new Set(args.paths.flatMap((p) => [p.from, p.to]).filter((x) => x !== "*"))].sort();
    for (const workload of workloads) {
      const ingress = args.paths.filter((p) => p.to === workload).map((p) => ({ ...(p.from === "*" ? {} : { from: [{ podSelector: { matchLabels: selectorLabels(p.from) } }] }), ports: tcp(p.ports) }));
      const egress = args.paths.filter((p) => p.from === workload).map((p) => ({ to: [{ podSelector: { matchLabels: selectorLabels(p.to) } }], ports: tcp(p.ports) }));
      new k8s.networking.v1.NetworkPolicy(
        `${name}-allow-${workload}`,
        {
          metadata: objectMeta(owner, namespace, `allow-${workload}`, "network-policy"),
          spec: {
            podSelector: { matchLabels: selectorLabels(workload) },
            policyTypes: [...(ingress.length > 0 ? ["Ingress"] : []), ...(egress.length > 0 ? ["Egress"] : [])],
            ingress: ingress.length > 0 ? ingress : undefined,
            egress: egress.length > 0 ? egress : undefined,
          },
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
