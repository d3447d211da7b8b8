// The built-in campaigns (their names are part of the CLI). Intervals, not counts, so a campaign scales with the
// load's --duration; the figures in each description are for 30 minutes. Faults are held briefly so many fit.
import { ExperimentError } from "./validate";
import { validateCampaign, type Campaign } from "./campaign";

/**
 * Client gates for a campaign, a guard against collapse rather than a latency target: with a NATS restart every
 * 30 s, fault windows cover about a third of the load. The first 35-minute run of `everything` measured p95 552 ms,
 * p99 1,059 ms and 0.66 % failed (503s during PostgreSQL restarts); these allow about twice that. Integrity
 * allows nothing, as always.
 */
const CAMPAIGN_SLO = { p95Ms: 1000, p99Ms: 3000, maxFailedRate: 0.02 };

const raw: unknown[] = [
  {
    name: "crash-storm",
    description: "NATS restarts every 30 s on average (about 56 in 30 minutes) and, alongside, a worker is killed every 60 s (about 28).",
    slo: CAMPAIGN_SLO,
    experiments: [
      { experiment: "nats-restart", meanIntervalSeconds: 30, durationSeconds: 5 },
      { experiment: "worker-kill", meanIntervalSeconds: 60, durationSeconds: 5, overlap: true },
    ],
  },
  {
    name: "network",
    description: "Partitions of the workers from NATS, packet loss on the data network, PostgreSQL latency and NATS connection resets, two at a time at most.",
    slo: CAMPAIGN_SLO,
    experiments: [
      { experiment: "worker-nats-partition", meanIntervalSeconds: 120, durationSeconds: 15 },
      { experiment: "postgres-latency", meanIntervalSeconds: 120, durationSeconds: 10 },
      { experiment: "data-packet-loss", meanIntervalSeconds: 120, durationSeconds: 10, overlap: true },
      { experiment: "nats-link-reset", meanIntervalSeconds: 120, durationSeconds: 5, overlap: true },
    ],
  },
  {
    name: "everything",
    description: "Every Docker built-in, crashes in one lane and network, worker and CPU faults overlapping them in the other; in 30 minutes about 56 NATS restarts, 22 worker kills, 11 PostgreSQL restarts (on a volume), 11 partitions, 14 loss or latency windows.",
    slo: CAMPAIGN_SLO,
    experiments: [
      { experiment: "nats-restart", meanIntervalSeconds: 30, durationSeconds: 5 },
      { experiment: "postgres-restart", meanIntervalSeconds: 150, durationSeconds: 8 },
      { experiment: "nats-link-reset", meanIntervalSeconds: 300, durationSeconds: 5 },
      { experiment: "jetstream-store-full", meanIntervalSeconds: 600, durationSeconds: 10 },
      { experiment: "worker-kill", meanIntervalSeconds: 75, durationSeconds: 5, overlap: true },
      { experiment: "worker-nats-partition", meanIntervalSeconds: 150, durationSeconds: 15, overlap: true },
      { experiment: "data-packet-loss", meanIntervalSeconds: 240, durationSeconds: 10, overlap: true },
      { experiment: "postgres-latency", meanIntervalSeconds: 240, durationSeconds: 10, overlap: true },
      { experiment: "gateway-cpu-starvation", meanIntervalSeconds: 600, durationSeconds: 10, overlap: true },
    ],
  },
  {
    name: "nats-cluster",
    description: "On the 3-node JetStream cluster (the run sets nats.replicas 3): one server, two servers, then all three crash, by weight, with worker kills alongside.",
    natsReplicas: 3,
    slo: CAMPAIGN_SLO,
    meanIntervalSeconds: 40,
    experiments: [
      { experiment: "nats-kill-one", weight: 3, durationSeconds: 5 },
      { experiment: "nats-kill-two", weight: 2, durationSeconds: 5 },
      { experiment: "nats-kill-all", weight: 1, durationSeconds: 5 },
      { experiment: "worker-kill", meanIntervalSeconds: 90, durationSeconds: 5, overlap: true },
    ],
  },
];

export function builtInCampaigns(): Campaign[] {
  return raw.map((r, i) => validateCampaign(r, `built-in campaign #${i}`));
}

export function findCampaign(name: string): Campaign {
  const all = builtInCampaigns();
  const found = all.find((c) => c.name === name);
  if (!found) throw new ExperimentError(`unknown campaign "${name}": the built-in campaigns are ${all.map((c) => c.name).join(", ")}; or give a JSON file`);
  return found;
}
