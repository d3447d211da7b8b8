// The built-in experiments (their names are part of the CLI). Durations are modest so a smoke run of a
// minute or two can hold several; withDuration() stretches or shortens them.
import { ExperimentError, validateExperiment } from "./validate";
import type { Experiment, ProbeSpec } from "./types";

/** The steady state every built-in checks: the gateway is ready, the consumer keeps up, clients mostly succeed. */
const steady: ProbeSpec[] = [
  { probe: "gateway-ready" },
  { probe: "consumer-lag", max: 1000 },
  { probe: "error-rate", max: 0.05, windowSeconds: 10 },
];

// Written as plain objects and passed through the same validation as a file, so defaults are filled in the
// same way and a mistake here fails the unit tests rather than a run.
const raw: unknown[] = [
  {
    name: "nats-restart",
    description: "NATS restarts; its JetStream store is a tmpfs, so it comes back empty and the flows must recreate the stream and republish from the outbox.",
    steadyState: steady,
    method: [{ kind: "container-restart", target: { role: "nats", pick: "first" }, durationSeconds: 10, parameters: { graceSeconds: 5 } }],
    recoveryDeadlineSeconds: 60,
  },
  {
    name: "worker-kill",
    description: "One worker is killed (SIGKILL, a node failure); the other keeps consuming and the killed one comes back.",
    steadyState: steady,
    method: [{ kind: "container-kill", target: { role: "worker", pick: "first" }, durationSeconds: 10 }],
    recoveryDeadlineSeconds: 45,
  },
  {
    name: "postgres-restart",
    description: "PostgreSQL restarts; the gateway answers 503 with Retry-After meanwhile and nothing acknowledged is lost. Skipped when its data directory is a tmpfs (ci's default), which a restart empties.",
    steadyState: steady,
    method: [{ kind: "container-restart", target: { role: "postgres", pick: "first" }, durationSeconds: 10, parameters: { graceSeconds: 5, durable: "/var/lib/postgresql/data" } }],
    recoveryDeadlineSeconds: 60,
  },
  {
    name: "worker-nats-partition",
    description: "Every worker is cut off from NATS, directly and through Toxiproxy's NATS proxies (30 s unless overridden); the backlog grows, then drains.",
    steadyState: steady,
    method: [{ kind: "network-partition", target: { role: "worker", pick: "all" }, peer: { role: "nats", pick: "all" }, durationSeconds: 30 }],
    recoveryDeadlineSeconds: 60,
  },
  {
    name: "data-packet-loss",
    description: "20 % of the packets every container sends on the data network are dropped.",
    steadyState: steady,
    method: [{ kind: "packet-loss", target: { network: "data" }, durationSeconds: 20, parameters: { probability: 0.2, network: "data" } }],
    recoveryDeadlineSeconds: 45,
  },
  {
    name: "postgres-latency",
    description: "500 ms (± 50 ms) added to every answer from PostgreSQL, through Toxiproxy.",
    steadyState: steady,
    method: [{ kind: "latency", target: { link: "postgres" }, durationSeconds: 20, parameters: { latencyMs: 500, jitterMs: 50 } }],
    recoveryDeadlineSeconds: 45,
  },
  {
    name: "jetstream-store-full",
    description: "The NATS JetStream store (a tmpfs) is filled to 99 %; publishes must be refused, not lost, and resume once space is back.",
    steadyState: steady,
    method: [{ kind: "disk-fill", target: { role: "nats", pick: "first" }, durationSeconds: 20, parameters: { percent: 99 } }],
    recoveryDeadlineSeconds: 45,
  },
  {
    name: "gateway-cpu-starvation",
    description: "Two busy loops in the gateway's cgroup compete with it for its CPU limit.",
    steadyState: steady,
    method: [{ kind: "cpu-stress", target: { role: "gateway", pick: "all" }, durationSeconds: 20, parameters: { workers: 2 } }],
    recoveryDeadlineSeconds: 45,
  },
  {
    name: "nats-link-reset",
    description: "Every connection through Toxiproxy's NATS proxies is reset (TCP RST) for 10 s; clients reconnect and nothing acknowledged is lost.",
    steadyState: steady,
    method: [{ kind: "reset-peer", target: { link: "nats" }, durationSeconds: 10 }],
    recoveryDeadlineSeconds: 45,
  },
  // The 3-node JetStream cluster (nats.replicas 3, streams R3): a minority, a majority, then every server crashes.
  {
    name: "nats-kill-one",
    description: "One of three NATS servers crashes (SIGKILL); the stream keeps its quorum and the server rejoins empty, catching up from its peers.",
    steadyState: steady,
    method: [{ kind: "container-kill", target: { role: "nats", pick: 0 }, durationSeconds: 10 }],
    recoveryDeadlineSeconds: 60,
  },
  {
    name: "nats-kill-two",
    description: "Two of three NATS servers crash at once (SIGKILL): the stream loses its quorum until they rejoin; publishes are refused meanwhile, not lost.",
    steadyState: steady,
    method: [
      { kind: "container-kill", target: { role: "nats", pick: 0 }, durationSeconds: 10 },
      { kind: "container-kill", target: { role: "nats", pick: 1 }, durationSeconds: 10 },
    ],
    recoveryDeadlineSeconds: 90,
  },
  {
    name: "nats-kill-all",
    description: "Every NATS server crashes at once (SIGKILL); their tmpfs stores come back empty, so the flows recreate the stream and republish from the outbox.",
    steadyState: steady,
    method: [{ kind: "container-kill", target: { role: "nats", pick: "all" }, durationSeconds: 10 }],
    recoveryDeadlineSeconds: 90,
  },
  // Kubernetes stacks: the same hypotheses, with faults through the API and in the pods' network namespaces.
  {
    name: "worker-pod-delete",
    description: "One worker pod is deleted with no grace (SIGKILL, a node failure); its Deployment replaces it and the other keeps consuming.",
    steadyState: steady,
    method: [{ kind: "pod-delete", target: { role: "worker", pick: "first" }, durationSeconds: 15, parameters: { graceSeconds: 0 } }],
    recoveryDeadlineSeconds: 60,
  },
  {
    name: "worker-evict",
    description: "One worker pod is evicted through the API, as a node drain does; its Deployment replaces it.",
    steadyState: steady,
    method: [{ kind: "pod-evict", target: { role: "worker", pick: "first" }, durationSeconds: 15 }],
    recoveryDeadlineSeconds: 60,
  },
  {
    name: "worker-scale-to-zero",
    description: "Every worker is scaled away (0 replicas) for 20 s; the backlog grows, then drains once they are back.",
    steadyState: steady,
    method: [{ kind: "scale-to-zero", target: { role: "worker", pick: "all" }, durationSeconds: 20 }],
    recoveryDeadlineSeconds: 90,
  },
  {
    name: "worker-nats-pod-partition",
    description: "Every worker pod is cut off from NATS, directly and through Toxiproxy, in the pods' network namespaces (20 s); the backlog grows, then drains.",
    steadyState: steady,
    method: [{ kind: "pod-partition", target: { role: "worker", pick: "all" }, peer: { role: "nats", pick: "all" }, durationSeconds: 20 }],
    recoveryDeadlineSeconds: 60,
  },
];

export function builtInExperiments(): Experiment[] {
  return raw.map((r, i) => validateExperiment(r, `built-in experiment #${i}`));
}

export function findExperiment(name: string): Experiment {
  const all = builtInExperiments();
  const found = all.find((e) => e.name === name);
  if (!found) throw new ExperimentError(`unknown experiment "${name}": the built-in experiments are ${all.map((e) => e.name).join(", ")}`);
  return found;
}

/** The experiment with every fault held for `seconds` instead (offsets kept). */
export function withDuration(exp: Experiment, seconds: number): Experiment {
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new ExperimentError(`duration: got ${seconds}; allowed: a number of seconds from 1 to 3600`);
  }
  return { ...exp, method: exp.method.map((f) => ({ ...f, durationSeconds: seconds })) };
}
