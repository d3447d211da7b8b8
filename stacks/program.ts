// The Pulumi program: reads the stack's validated settings, takes the system description (the reference
// workload by default, or a file named by `cp3:system`), and declares one Testbed from it, on Docker or on the
// local Kubernetes cluster as `cp3:platform` says.
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { files } from "../cluster/layout";
import { KubernetesTestbed } from "../components/kubernetes/testbed";
import type { Ownership } from "../components/labels";
import { Testbed } from "../components/testbed";
import { projectRoot } from "../lib/paths";
import { loadSpecFile } from "../testbed/load";
import { referenceWorkload } from "../testbed/presets/reference";
import { validateSpec } from "../testbed/validate";
import { baseRootImage, stockCaBundle } from "../toolchain/rootfs";
import { parseConfig } from "./config";
import { hostFacts, resolveHostOffer } from "./host-offer";

// Our language host hands over a stack with no settings at all as JSON null, on which allConfig() throws a
// bare TypeError; with an empty map instead, parseConfig names the command that generates the stack file.
const settings = process.env.PULUMI_CONFIG === "null" ? {} : pulumi.runtime.allConfig();
const config = parseConfig(settings, pulumi.getStack());
const owner: Ownership = { stack: pulumi.getStack(), run: config.run, expires: config.expires };
const spec = config.system === "" ? validateSpec(referenceWorkload(config, path.join(projectRoot, "workload")), "reference workload") : loadSpecFile(path.resolve(projectRoot, config.system));

const host = resolveHostOffer(config.build, hostFacts(stockCaBundle()));
pulumi.log.info(`image builds: ${host.summary.caBundle === "" ? "no CA bundle offered" : `${host.summary.caBundle} offered as the secret ca-bundle`} (${host.summary.reason})${host.summary.proxyArgs.length > 0 ? `; proxy arguments ${host.summary.proxyArgs.join(", ")}` : ""}`);
for (const warning of host.summary.warnings) pulumi.log.warn(`image builds: ${warning}`);

const common = { owner, spec, rootImage: baseRootImage().ref, chaosProxy: config.chaos.proxy, baseImage: config.images.base, hostOffer: host.offer, ...(config.postgres.password !== "" ? { postgresPassword: pulumi.secret(config.postgres.password) } : {}) };
// rate 0 and seed -1 leave the profile's rate and a random seed (printed).
const v = config.verify;
const verify = v.enabled ? { profile: v.profile, ...(v.duration !== "" ? { duration: v.duration } : {}), ...(v.rate > 0 ? { rate: v.rate } : {}), experiments: v.experiments, ...(v.seed >= 0 ? { seed: v.seed } : {}), reportDir: v.reportDir } : undefined;
const ob = config.observability;
const monitoring = ob.enabled
  ? { scrapeIntervalSeconds: ob.scrapeIntervalSeconds, memoryMiB: ob.memoryMiB, cpus: ob.cpus, ...(ob.tracing ? { tracing: { sampleEvery: ob.traceSampleEvery, memoryMiB: ob.jaegerMemoryMiB } } : {}) }
  : undefined;
const testbed = config.platform === "kubernetes" ? onLocalCluster() : new Testbed("testbed", { ...common, entryHostPort: config.gateway.hostPort, tls: config.tls.enabled, ...(monitoring ? { observability: monitoring } : {}), ...(verify ? { verify } : {}) });

/** The same description on the cluster `cp3 cluster up` runs, through its admin kubeconfig and its own containerd. */
function onLocalCluster(): KubernetesTestbed {
  const kubeconfig = files.kubeconfig("admin");
  if (!fs.existsSync(kubeconfig) || !fs.existsSync(files.containerdSocket())) {
    throw new Error(`cp3:platform is kubernetes, but the local cluster is not running (no ${fs.existsSync(kubeconfig) ? files.containerdSocket() : kubeconfig}): start it with \`npm run cp3 -- cluster up\`, then run pulumi again`);
  }
  // k8s-ci stacks share the ci template, which turns monitoring on; on Kubernetes it is not built yet (issue 14).
  if (config.observability.enabled) pulumi.log.warn("cp3:observability.enabled is true, but monitoring runs on Docker only so far: this Kubernetes testbed has none");
  const provider = new k8s.Provider("local-cluster", { kubeconfig: fs.readFileSync(kubeconfig, "utf8") });
  return new KubernetesTestbed("testbed", { ...common, containerdAddress: files.containerdSocket(), tls: config.tls.enabled }, { provider });
}

export const stackKind = config.kind;
/** What image builds were offered of this host (the CA bundle's path, never its text; proxy argument names only). */
export const hostOffer = host.summary;
export const { platform, namespace, system, gatewayUrl, natsUrl, natsMonitorUrl, postgresDsn, toxiproxyUrl, chaosProxies, networks, containers, roles, stream, images, tls, observability } = testbed.outputs;
