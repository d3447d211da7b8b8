// The Pulumi program: assembles the testbed for the selected stack from its validated configuration.
import * as pulumi from "@pulumi/pulumi";
import { Flow } from "../components/flow";
import { consumerConfig, JetStream, streamConfig } from "../components/jetstream";
import type { Ownership } from "../components/labels";
import { Migration } from "../components/migration";
import { Nats, NATS_CLIENT_PORT, NATS_MONITOR_PORT, natsHost } from "../components/nats";
import { TestbedNetwork } from "../components/network";
import { Postgres, POSTGRES_PORT } from "../components/postgres";
import { RandomSecret } from "../components/random-secret";
import { Toxiproxy, type ProxySpec } from "../components/toxiproxy";
import { workloadPath } from "./build-context";
import { parseConfig } from "./config";
import { declareImages } from "./images";

// Our language host hands over a stack with no settings at all as JSON null, on which allConfig() throws a
// bare TypeError; with an empty map instead, parseConfig names the command that generates the stack file.
const settings = process.env.PULUMI_CONFIG === "null" ? {} : pulumi.runtime.allConfig();
const config = parseConfig(settings, pulumi.getStack());
const owner: Ownership = { stack: pulumi.getStack(), run: config.run, expires: config.expires };
const images = declareImages(config.images.base);

// The gateway's network, and the data network with no route out.
const edge = new TestbedNetwork("edge", { owner });
const data = new TestbedNetwork("data", { owner, internal: true });

const nats = new Nats("nats", {
  owner,
  image: images.nats,
  networkName: data.networkName,
  replicas: config.nats.replicas as 1 | 3,
  storeMiB: config.nats.storeMiB,
  memoryMiB: config.nats.memoryMiB,
  cpus: config.nats.cpus,
});

const postgresPassword = new RandomSecret("postgres-password", { bytes: 24 });
const postgres = new Postgres("postgres", {
  owner,
  image: images.postgres,
  networkName: data.networkName,
  password: postgresPassword.value,
  ...config.postgres,
});

// Flow proxies (chaos targets) and host-access proxies (never faulted), all through one Toxiproxy.
const natsProxies: ProxySpec[] = nats.clientUrls.map((_, i) => ({ name: `nats-${i}`, listenPort: 14222 + i, upstream: `${natsHost(i)}:${NATS_CLIENT_PORT}`, publish: false }));
const proxies: ProxySpec[] = [
  ...natsProxies,
  { name: "postgres", listenPort: 15432, upstream: `postgres:${POSTGRES_PORT}`, publish: false },
  { name: "host-nats", listenPort: 24222, upstream: `${natsHost(0)}:${NATS_CLIENT_PORT}`, publish: true },
  { name: "host-nats-monitor", listenPort: 28222, upstream: `${natsHost(0)}:${NATS_MONITOR_PORT}`, publish: true },
  { name: "host-postgres", listenPort: 25432, upstream: `postgres:${POSTGRES_PORT}`, publish: true },
];
const toxiproxy = new Toxiproxy("toxiproxy", { owner, image: images.toxiproxy, edgeNetworkName: edge.networkName, dataNetworkName: data.networkName, proxies, ...config.toxiproxy });

const streamSpec = {
  name: config.jetstream.stream,
  subjects: config.jetstream.subjects,
  maxMsgs: config.jetstream.maxMsgs,
  maxBytesMiB: config.jetstream.maxBytesMiB,
  maxAgeSeconds: config.jetstream.maxAgeSeconds,
  duplicateWindowSeconds: config.jetstream.duplicateWindowSeconds,
  discard: config.jetstream.discard,
  replicas: config.nats.replicas,
};
const consumerSpec = { name: config.jetstream.consumer, maxAckPending: config.jetstream.maxAckPending, ackWaitSeconds: config.jetstream.ackWaitSeconds, maxDeliver: config.jetstream.maxDeliver };
const jetstream = new JetStream(
  "jetstream",
  { owner, image: images.nats, networkName: data.networkName, natsUrls: nats.clientUrls, serverIds: nats.containerIds, stream: streamSpec, consumer: consumerSpec },
  { dependsOn: [nats] },
);
const migration = new Migration("migration", { owner, image: images.migrate, networkName: data.networkName, host: postgres.host, password: postgresPassword.value, serverId: postgres.container.id }, { dependsOn: [postgres] });

// With chaos.proxy on, the flows reach NATS and PostgreSQL through Toxiproxy.
const natsForFlows = config.chaos.proxy ? natsProxies.map((p) => `nats://toxiproxy:${p.listenPort}`) : nats.clientUrls;
const postgresForFlows = config.chaos.proxy ? "toxiproxy:15432" : `postgres:${POSTGRES_PORT}`;
const flowSettings = {
  CONTAINER_NATS__URL: natsForFlows.join(","),
  CONTAINER_NATS__STREAM: config.jetstream.stream,
  CONTAINER_NATS__CONSUMER: config.jetstream.consumer,
  // The gateway publishes on the stream's first subject, its trailing wildcard made concrete.
  CONTAINER_NATS__SUBJECT: config.jetstream.subjects[0]!.replace(/(^|\.)(>|\*)$/, "$1new"),
  // The flows recreate the stream and the consumer from these after a NATS server lost its tmpfs store.
  CONTAINER_NATS__STREAM_CONFIG: JSON.stringify(streamConfig(streamSpec)),
  CONTAINER_NATS__CONSUMER_CONFIG: JSON.stringify(consumerConfig(consumerSpec)),
  CONTAINER_POSTGRES__HOST: postgresForFlows.split(":")[0]!,
  CONTAINER_POSTGRES__PORT: postgresForFlows.split(":")[1]!,
  CONTAINER_POSTGRES__PASSWORD: postgresPassword.value,
};
const hotReload = (flow: string) => (config.dev.hotReload ? { flowSource: workloadPath("flows", flow), coreSource: workloadPath("core") } : undefined);
const after = [migration.done, jetstream.done];

const gateway = new Flow("gateway", {
  owner,
  image: images.flows.gateway,
  flow: "gateway",
  httpPort: 8080,
  networkNames: [edge.networkName, data.networkName],
  hostPort: config.gateway.hostPort,
  settings: { ...flowSettings, CONTAINER_GATEWAY__MAX_BACKLOG: String(config.gateway.maxBacklog), CONTAINER_GATEWAY__RECONCILE_AFTER_SECONDS: String(config.gateway.reconcileAfterSeconds) },
  after,
  hotReload: hotReload("gateway"),
  memoryMiB: config.gateway.memoryMiB,
  cpus: config.gateway.cpus,
});
const worker = new Flow("worker", {
  owner,
  image: images.flows.worker,
  flow: "worker",
  replicas: config.worker.replicas,
  httpPort: 8081,
  networkNames: [data.networkName],
  settings: { ...flowSettings, CONTAINER_WORKER__CONCURRENCY: String(config.worker.concurrency), CONTAINER_WORKER__CPU_ROUNDS: String(config.worker.cpuRounds), CONTAINER_WORKER__OUTPUT_BYTES: String(config.worker.outputBytes), CONTAINER_WORKER__TEST_ONLY_ACK_BEFORE_COMMIT: String(config.worker.testOnlyAckBeforeCommit) },
  after,
  hotReload: hotReload("worker"),
  memoryMiB: config.worker.memoryMiB,
  cpus: config.worker.cpus,
});

const hostNats = toxiproxy.hostEndpoints.apply((e) => e["host-nats"]!);
const hostMonitor = toxiproxy.hostEndpoints.apply((e) => e["host-nats-monitor"]!);
const hostPostgres = toxiproxy.hostEndpoints.apply((e) => e["host-postgres"]!);

export const stackKind = config.kind;
export const gatewayUrl = gateway.url;
export const natsUrl = pulumi.interpolate`nats://${hostNats}`;
export const natsMonitorUrl = pulumi.interpolate`http://${hostMonitor}`;
export const postgresDsn = pulumi.secret(pulumi.interpolate`postgres://postgres:${postgresPassword.value}@${hostPostgres}/postgres`);
export const toxiproxyUrl = toxiproxy.apiUrl;
export const chaosProxies = { nats: natsProxies.map((p) => p.name), postgres: "postgres", enabled: config.chaos.proxy };
export const networks = { edge: edge.networkName, data: data.networkName };
export const containers = {
  nats: nats.containerNames,
  postgres: postgres.containerName,
  toxiproxy: toxiproxy.containerName,
  gateway: gateway.containerNames,
  worker: worker.containerNames,
};
export const stream = { name: config.jetstream.stream, consumer: config.jetstream.consumer };
