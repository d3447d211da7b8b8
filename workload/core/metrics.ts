// Prometheus metrics: RED per route, the record counters the integrity checks read, processing time, NATS
// connection state and pool usage.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics(flow: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ flow });
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    httpRequests: new Counter({ name: "http_requests_total", help: "HTTP requests by route, method and status", labelNames: ["route", "method", "status"], registers: [registry] }),
    httpDuration: new Histogram({ name: "http_request_duration_seconds", help: "HTTP request duration", labelNames: ["route", "method"], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    recordsAccepted: new Counter({ name: "records_accepted_total", help: "Records accepted (202) by the gateway", registers: [registry] }),
    recordsPublished: new Counter({ name: "records_published_total", help: "Outbox records published to JetStream", registers: [registry] }),
    recordsProcessed: new Counter({ name: "records_processed_total", help: "Records processed and committed by workers", registers: [registry] }),
    redeliveries: new Counter({ name: "redeliveries_total", help: "Messages delivered more than once", registers: [registry] }),
    duplicatesSuppressed: new Counter({ name: "duplicates_suppressed_total", help: "Redeliveries whose effect already existed", registers: [registry] }),
    deadLettered: new Counter({ name: "records_dead_lettered_total", help: "Poison messages terminated and dead-lettered", registers: [registry] }),
    processing: new Histogram({ name: "record_processing_seconds", help: "Worker processing time per record", buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    // The database's clock at acceptance and at the processing commit: the accept-to-processed SLI.
    acceptToProcessed: new Histogram({ name: "record_accept_to_processed_seconds", help: "From the gateway accepting a record to a worker committing its result", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [registry] }),
    natsConnected: new Gauge({ name: "nats_connected", help: "1 while connected to NATS", registers: [registry] }),
    poolTotal: new Gauge({ name: "pg_pool_clients", help: "PostgreSQL pool clients", labelNames: ["state"], registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
