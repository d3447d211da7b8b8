// The testbed's images, all built on the local engine from the Debian root: the infrastructure images, one
// migration image per database that has migrations, the two-stage flow images of the reference workload (stage 1:
// the base with Node.js and the core library; stage 2: one flow's code) and the images a description builds from
// its own Dockerfiles, which get the Debian root and the Node base as build arguments (nothing can be pulled).
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { folderContext, stageContext, toolchainBinary, workloadPath } from "./build-context";
import { LocalImage, type HostBuildOffer } from "./local-image";

export interface ImageRequest {
  /** The Debian root image's reference (`cp3/debian:<suite>-<hash>`), the start of every image. */
  readonly rootImage: string;
  /** A base image from the user's registry for the flows; empty builds it locally. */
  readonly baseOverride: string;
  /** Reference workload flows (folders under workload/flows) to build as stage-2 images. */
  readonly flows: readonly string[];
  /** Migration folders by database. */
  readonly migrations: Readonly<Record<string, string>>;
  /** A description's own builds by service: its context folder, Dockerfile and build arguments. */
  readonly builds: Readonly<Record<string, { context: string; dockerfile: string; args: Record<string, string> }>>;
  /** The host's CA bundle and proxy settings, offered to every build above. */
  readonly hostOffer: HostBuildOffer;
  /** Build the monitoring image (Prometheus, Alertmanager, the exporters). @default false */
  readonly observability?: boolean;
}

export interface TestbedImages {
  nats: pulumi.Output<string>;
  toxiproxy: pulumi.Output<string>;
  postgres: pulumi.Output<string>;
  /** Migration image by database. */
  migrate: Record<string, pulumi.Output<string>>;
  base: pulumi.Output<string>;
  flows: Record<string, pulumi.Output<string>>;
  /** Built image by service. */
  builds: Record<string, pulumi.Output<string>>;
  /** Prometheus, Alertmanager and the exporters, when observability is on. */
  monitoring?: pulumi.Output<string>;
}

/** Declares every image as children of `parent`. */
export function declareImages(r: ImageRequest, parent: pulumi.Resource): TestbedImages {
  const image = (name: string, contextImage: string, extra: Record<string, string>, buildArgs: Record<string, pulumi.Input<string>>) => {
    const context = stageContext(name, contextImage, extra);
    return new LocalImage(name, { repository: `cp3/${name}`, contextDir: context.dir, contentHash: context.hash, buildArgs, hostOffer: r.hostOffer }, { parent });
  };
  const root = { BASE_IMAGE: r.rootImage };
  const nats = image("nats", "nats", { "nats-server": toolchainBinary("nats-server"), nats: toolchainBinary("nats") }, root);
  const toxiproxy = image("toxiproxy", "toxiproxy", { "toxiproxy-server": toolchainBinary("toxiproxy-server") }, root);
  const postgres = image("postgres", "postgres", {}, root);
  const monitoring = r.observability ? image("monitoring", "monitoring", { node: toolchainBinary("node-image"), jaeger: toolchainBinary("jaeger") }, root) : undefined;
  // The reference workload's database keeps its image name (migrate); others are migrate-<database>.
  const migrate = Object.fromEntries(
    Object.entries(r.migrations).map(([db, folder]) => [db, image(db === "postgres" ? "migrate" : `migrate-${db}`, "migrate", { migrations: folder }, { POSTGRES_IMAGE: postgres.ref }).ref]),
  );

  let base: pulumi.Output<string>;
  if (r.baseOverride !== "") {
    base = pulumi.output(r.baseOverride);
  } else {
    const app: Record<string, string> = { node: toolchainBinary("node-image"), "app/core": workloadPath("core"), "app/package.json": workloadPath("package.json") };
    // Production dependencies of the core library, once it has some (installed into workload/node_modules).
    if (fs.existsSync(workloadPath("node_modules"))) app["app/node_modules"] = workloadPath("node_modules");
    base = image("base", "base", app, { ROOT_IMAGE: r.rootImage }).ref;
  }
  const flows = Object.fromEntries(r.flows.map((flow) => [flow, image(`flow-${flow}`, "flow", { code: workloadPath("flows", flow) }, { BASE_IMAGE: base, FLOW: flow }).ref]));
  const builds = Object.fromEntries(
    Object.entries(r.builds).map(([service, b]) => {
      const context = folderContext(b.context);
      // Foreign Dockerfiles start FROM one of these, since nothing can be pulled.
      const buildArgs = { CP3_DEBIAN_ROOT: r.rootImage, CP3_NODE_BASE: base, ...b.args };
      return [service, new LocalImage(`service-${service}`, { repository: `cp3/service-${service}`, contextDir: context.dir, dockerfile: b.dockerfile, contentHash: context.hash, buildArgs, hostOffer: r.hostOffer }, { parent }).ref];
    }),
  );
  return { nats: nats.ref, toxiproxy: toxiproxy.ref, postgres: postgres.ref, migrate, base, flows, builds, ...(monitoring ? { monitoring: monitoring.ref } : {}) };
}
