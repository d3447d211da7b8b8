import { describe, expect, it } from "vitest";
import { hardened } from "../../components/hardening";
import { labelList, ownershipLabels } from "../../components/labels";
import { containerViolations, type ContainerInputs } from "../../policy/rules";

const good = (): ContainerInputs =>
  ({
    ...hardened({ user: "10001:10001", memoryMiB: 256, cpus: 0.5, tmpfs: { "/tmp": "size=1m" } }),
    labels: labelList(ownershipLabels({ stack: "ci-x", run: "ci-x", expires: "" }, "nats")),
    ports: [{ internal: 4222, ip: "127.0.0.1" }],
  }) as ContainerInputs;

describe("container hardening rules", () => {
  it("accept what components/hardening.ts produces, for services and jobs", () => {
    expect(containerViolations(good())).toEqual([]);
    const job = { ...hardened({ user: "10003:10003", memoryMiB: 64, cpus: 0.5, tmpfs: {}, lifecycle: "job" }), labels: good().labels, attach: true } as ContainerInputs;
    expect(containerViolations(job)).toEqual([]);
  });

  it.each<[string, Partial<ContainerInputs>, string]>([
    ["root user", { user: "0:0" }, 'user is "0:0": run as a non-root uid:gid (CIS 4.1)'],
    ["no user", { user: undefined }, 'user is "": run as a non-root uid:gid (CIS 4.1)'],
    ["writable root", { readOnly: false }, "readOnly is not true: make the root filesystem read-only and give writable paths as tmpfs (CIS 5.13)"],
    ["privileged", { privileged: true }, "privileged is true: never run privileged (CIS 5.5)"],
    ["capabilities kept", { capabilities: { drops: ["NET_RAW"] } }, 'capabilities.drops lacks "ALL": drop every capability, then add back only what is needed (CIS 5.4)'],
    ["capability added", { capabilities: { drops: ["ALL"], adds: ["NET_ADMIN"] } }, 'capabilities.adds is ["NET_ADMIN"]: no testbed container needs a capability back'],
    ["new privileges", { securityOpts: [] }, 'securityOpts lacks "no-new-privileges:true" (CIS 5.26)'],
    ["no memory limit", { memory: 0 }, "memory is 0: set a memory limit in MiB (CIS 5.11)"],
    ["no cpu limit", { cpus: undefined }, "cpus is undefined: set a CPU limit (CIS 5.12)"],
    ["no process limit", { ulimits: [] }, "ulimits lacks nproc: bound the number of processes (CIS 5.29; the provider has no pids_limit)"],
    ["restart always", { restart: "always" }, 'restart is "always" with maxRetryCount 5: services restart "on-failure" at most 5 times, one-shot jobs and never-started holders "no" (CIS 5.15)'],
    ["too many restarts", { maxRetryCount: 10 }, 'restart is "on-failure" with maxRetryCount 10: services restart "on-failure" at most 5 times, one-shot jobs and never-started holders "no" (CIS 5.15)'],
    ["a holder that may restart", { start: false }, 'restart is "on-failure" with maxRetryCount 5: services restart "on-failure" at most 5 times, one-shot jobs and never-started holders "no" (CIS 5.15)'],
    ["no log rotation", { logOpts: {} }, 'logging is not json-file with "max-size" and "max-file": rotate container logs'],
    ["unlabelled", { labels: [] }, "label cp3.stack is missing: the sweep and the leftover checks find testbed objects by it"],
    ["public port", { ports: [{ internal: 8080, ip: "0.0.0.0" }] }, 'port 8080 is published on "0.0.0.0": publish on 127.0.0.1 only'],
    ["host network", { networkMode: "host" }, 'networkMode is "host": never share the host network namespace (CIS 5.10)'],
    ["docker socket", { volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }] }, "the Docker socket is mounted: never give a testbed container the engine (CIS 5.32)"],
  ])("reject %s", (_name, change, message) => {
    expect(containerViolations({ ...good(), ...change })).toContain(message);
  });
});
