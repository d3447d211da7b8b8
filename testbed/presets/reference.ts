// The reference workload (gateway → JetStream → workers → PostgreSQL, exactly once), expressed entirely as a
// system description: the example cp3 proves by default, and its benchmark. Its sizes and knobs come from the
// stack's settings (stacks/config.ts), so `cp3:gateway`, `cp3:worker`, `cp3:nats`... keep their meaning.
import { consumerConfig, streamConfig } from "../../components/jetstream";
import type { TestbedConfig } from "../../stacks/config";
import type { TestbedSpecInput } from "../spec";

/** The flows' span spool: the base image makes it, owned by the flows' user (images/base/Dockerfile). */
const SPAN_SPOOL = "/var/spool/cp3-traces";

/** The gateway publishes on the stream's first subject, its trailing wildcard made concrete. */
export const publishSubject = (subject: string) => subject.replace(/(^|\.)(>|\*)$/, "$1new");

/**
 * Which records the reference workload holds and how many committed effects each has (its oracle): an effect is
 * the record's row in `results`; `processing_attempts` with outcome 'processed' counts how often one was
 * committed, so a second effect shows although the results table's key makes it impossible by design.
 */
export const REFERENCE_ORACLE_QUERY = `SELECT r.idempotency_key,
       CASE WHEN EXISTS (SELECT 1 FROM results x WHERE x.record_id = r.id)
            THEN greatest(1, (SELECT count(*) FROM processing_attempts a WHERE a.record_id = r.id AND a.outcome = 'processed'))
            ELSE 0 END,
       r.state
  FROM records r`;

export function referenceWorkload(c: Pick<TestbedConfig, "nats" | "jetstream" | "postgres" | "toxiproxy" | "gateway" | "worker" | "dev" | "tls">, workloadDir: string): TestbedSpecInput {
  const j = c.jetstream;
  const stream = { name: j.stream, subjects: j.subjects, maxMsgs: j.maxMsgs, maxBytesMiB: j.maxBytesMiB, maxAgeSeconds: j.maxAgeSeconds, duplicateWindowSeconds: j.duplicateWindowSeconds, discard: j.discard };
  const consumer = { stream: j.stream, name: j.consumer, maxAckPending: j.maxAckPending, ackWaitSeconds: j.ackWaitSeconds, maxDeliver: j.maxDeliver };
  // Settings both flows read (CONTAINER_* for the workload's core library); the flows recreate the stream and
  // the consumer from these after a NATS server lost its tmpfs store.
  const common = {
    CONTAINER_NATS__URL: { from: "nats.url" as const },
    CONTAINER_NATS__STREAM: j.stream,
    CONTAINER_NATS__CONSUMER: j.consumer,
    CONTAINER_NATS__SUBJECT: publishSubject(j.subjects[0]!),
    CONTAINER_NATS__STREAM_CONFIG: JSON.stringify(streamConfig({ ...stream, replicas: c.nats.replicas })),
    CONTAINER_NATS__CONSUMER_CONFIG: JSON.stringify(consumerConfig({ name: j.consumer, maxAckPending: j.maxAckPending, ackWaitSeconds: j.ackWaitSeconds, maxDeliver: j.maxDeliver })),
    CONTAINER_POSTGRES__HOST: { from: "postgres.host" as const },
    CONTAINER_POSTGRES__PORT: { from: "postgres.port" as const },
    CONTAINER_POSTGRES__PASSWORD_FILE: { from: "postgres.password" as const },
    // Where a flow sends its alert before stopping on a fatal error (empty without monitoring).
    CONTAINER_ALERTS__URL: { from: "alertmanager.url" as const },
    // Where the flows send their spans (OTLP over HTTP; empty without tracing), and where the spans wait for it: on
    // a volume that outlives a SIGKILL, so a killed flow's next start exports them (workload/core/span-spool.ts).
    CONTAINER_TRACES__URL: { from: "traces.url" as const },
    CONTAINER_TRACES__SPOOL_DIR: SPAN_SPOOL,
    // With TLS both clients verify the servers' certificate (and name) against the stack's CA.
    ...(c.tls.enabled ? { CONTAINER_NATS__CA_FILE: { from: "tls.ca" as const }, CONTAINER_POSTGRES__CA_FILE: { from: "tls.ca" as const } } : {}),
  };
  const hotReload = (flow: string) =>
    c.dev.hotReload
      ? [
          { source: `${workloadDir}/core`, target: "/app/core" },
          { source: `${workloadDir}/flows/${flow}`, target: `/app/flows/${flow}` },
        ]
      : [];
  // The flows' core library reads its name, instance and port from these; the image's HEALTHCHECK uses the port.
  const flowEnv = (flow: string, port: number) => ({
    CONTAINER_FLOW__NAME: flow,
    CONTAINER_FLOW__INSTANCE: "{{instance}}",
    CONTAINER_HTTP__PORT: String(port),
    ...(c.dev.hotReload ? { NODE_OPTIONS_EXTRA: "--watch" } : {}),
  });
  return {
    name: "reference",
    nats: { replicas: c.nats.replicas as 1 | 3, storeMiB: c.nats.storeMiB, memoryMiB: c.nats.memoryMiB, cpus: c.nats.cpus, streams: [stream], consumers: [consumer] },
    postgres: { storage: c.postgres.storage, storageMiB: c.postgres.storageMiB, maxConnections: c.postgres.maxConnections, sharedBuffersMiB: c.postgres.sharedBuffersMiB, memoryMiB: c.postgres.memoryMiB, cpus: c.postgres.cpus, databases: [{ name: "postgres", migrations: `${workloadDir}/migrations` }] },
    toxiproxy: { memoryMiB: c.toxiproxy.memoryMiB, cpus: c.toxiproxy.cpus },
    services: [
      {
        name: "gateway",
        roles: ["gateway", "entry"],
        image: { flow: "gateway" },
        env: { ...flowEnv("gateway", 8080), ...common, CONTAINER_GATEWAY__MAX_BACKLOG: String(c.gateway.maxBacklog), CONTAINER_GATEWAY__RECONCILE_AFTER_SECONDS: String(c.gateway.reconcileAfterSeconds) },
        ports: [{ port: 8080, entry: true }],
        metrics: { port: 8080 },
        // The images' own HEALTHCHECK, said here so Kubernetes (which ignores HEALTHCHECK) probes it too.
        health: { http: { port: 8080, path: "/healthz" } },
        memoryMiB: c.gateway.memoryMiB,
        cpus: c.gateway.cpus,
        tmpfs: [{ path: "/tmp", sizeMiB: 32 }],
        volumes: [{ path: SPAN_SPOOL, sizeMiB: 64 }],
        dependsOn: ["nats", "postgres", "migrations"],
        networks: ["edge", "data"],
        hotReload: hotReload("gateway"),
      },
      {
        name: "worker",
        roles: ["worker", "consumer"],
        image: { flow: "worker" },
        replicas: c.worker.replicas,
        env: {
          ...flowEnv("worker", 8081),
          ...common,
          CONTAINER_WORKER__CONCURRENCY: String(c.worker.concurrency),
          CONTAINER_WORKER__CPU_ROUNDS: String(c.worker.cpuRounds),
          CONTAINER_WORKER__OUTPUT_BYTES: String(c.worker.outputBytes),
          CONTAINER_WORKER__TEST_ONLY_ACK_BEFORE_COMMIT: String(c.worker.testOnlyAckBeforeCommit),
          CONTAINER_WORKER__TEST_ONLY_FATAL_AFTER_SECONDS: String(c.worker.testOnlyFatalAfterSeconds),
        },
        ports: [{ port: 8081 }],
        metrics: { port: 8081 },
        health: { http: { port: 8081, path: "/healthz" } },
        memoryMiB: c.worker.memoryMiB,
        cpus: c.worker.cpus,
        tmpfs: [{ path: "/tmp", sizeMiB: 32 }],
        volumes: [{ path: SPAN_SPOOL, sizeMiB: 64 }],
        dependsOn: ["nats", "postgres", "migrations"],
        networks: ["data"],
        hotReload: hotReload("worker"),
      },
    ],
    drive: {
      entry: "gateway",
      request: { method: "POST", path: "/v1/records", headers: { "content-type": "application/json" }, idempotencyHeader: "idempotency-key", body: '{"payload":{"n":{{n}},"at":{{now}}}}' },
      healthPath: "/readyz",
    },
    oracle: { sql: { database: "postgres", query: REFERENCE_ORACLE_QUERY } },
    // Accept-to-processed from the workers' histogram (the database's clock at acceptance and at the commit): 99 %
    // within 5 s. A worker's kill holds its unacked records for the consumer's ack wait, which spends some budget.
    slos: { acceptToProcessed: { service: "worker", histogram: "record_accept_to_processed_seconds", thresholdMs: 5000, objective: 0.99 } },
    // Business metrics of the reference workload, from the flows' own counters (workload/core/metrics.ts).
    panels: [
      {
        title: "Records accepted and processed per second",
        unit: "records / s",
        queries: [
          { legend: "accepted (gateway)", expr: "sum(rate(records_accepted_total[$__rate_interval]))" },
          { legend: "published (relay)", expr: "sum(rate(records_published_total[$__rate_interval]))" },
          { legend: "processed (workers)", expr: "sum(rate(records_processed_total[$__rate_interval]))" },
        ],
      },
      {
        title: "Success rate: record requests answered 202",
        unit: "%",
        queries: [{ legend: "202 / all", expr: 'sum(rate(http_requests_total{service="gateway",route="/v1/records",status="202"}[$__rate_interval])) / sum(rate(http_requests_total{service="gateway",route="/v1/records"}[$__rate_interval])) * 100' }],
      },
      {
        title: "Redeliveries, suppressed duplicates and dead letters (counts since start)",
        unit: "records",
        queries: [
          { legend: "redelivered", expr: "sum(redeliveries_total)" },
          { legend: "duplicates suppressed", expr: "sum(duplicates_suppressed_total)" },
          { legend: "dead-lettered", expr: "sum(records_dead_lettered_total)" },
        ],
      },
      {
        title: "Accept to processed (gateway to worker commit)",
        unit: "ms",
        queries: [0.5, 0.95, 0.99].map((q) => ({ legend: `p${q * 100}`, expr: `histogram_quantile(${q}, sum by (le) (rate(record_accept_to_processed_seconds_bucket[$__rate_interval]))) * 1000` })),
      },
    ],
    probes: [
      { http: { service: "gateway", port: 8080, path: "/readyz" } },
      { consumerLag: { stream: j.stream, consumer: j.consumer, max: 1000 } },
      { clientErrorRate: { windowSeconds: 10, max: 0.05 } },
    ],
    // A record's path, hop by hop (workload/core/tracing.ts): the request and its group commit, the publish,
    // then the worker's delivery, work, commit and ack.
    traces: {
      spans: [
        { service: "gateway", name: "POST /v1/records" },
        { service: "gateway", name: "records.accept" },
        { service: "gateway", name: "records.publish" },
        { service: "worker", name: "records.receive" },
        { service: "worker", name: "records.process" },
        { service: "worker", name: "records.commit" },
        { service: "worker", name: "records.ack" },
      ],
    },
  };
}
