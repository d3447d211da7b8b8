// Cost per record: each component's CPU-seconds and mean working set shared out over the processed records, by
// part (the system under test, the testbed around it, the monitoring).
import { describe, expect, it } from "vitest";
import { costGroupOf, costLine, costOf } from "../../observability/cost";

const MiB = 1048576;

describe("cost per record", () => {
  it("puts the system's services, the testbed and the monitoring in their own parts", () => {
    expect(["gateway", "worker", "nats", "postgres", "toxiproxy", "prometheus", "jaeger", "container-exporter"].map(costGroupOf)).toEqual(["system", "system", "testbed", "testbed", "testbed", "monitoring", "monitoring", "monitoring"]);
  });

  it("gives CPU-seconds and MiB·s per 1,000 records, per part and per component", () => {
    const c = costOf({
      windowSeconds: 100, records: 4000,
      cpuSeconds: { gateway: 6, worker: 10, nats: 2, postgres: 2, prometheus: 1 },
      meanMemoryBytes: { gateway: 60 * MiB, worker: 100 * MiB, nats: 200 * MiB, postgres: 40 * MiB, prometheus: 80 * MiB },
    });
    expect(c.groups).toEqual([
      { group: "system", cpuSeconds: 16, meanMemoryMiB: 160, cpuSecondsPer1000: 4, memoryMiBSecondsPer1000: 4000 },
      { group: "testbed", cpuSeconds: 4, meanMemoryMiB: 240, cpuSecondsPer1000: 1, memoryMiBSecondsPer1000: 6000 },
      { group: "monitoring", cpuSeconds: 1, meanMemoryMiB: 80, cpuSecondsPer1000: 0.25, memoryMiBSecondsPer1000: 2000 },
    ]);
    expect(c.components.find((x) => x.component === "worker")).toEqual({ component: "worker", group: "system", cpuSeconds: 10, meanMemoryMiB: 100 });
    expect(costLine(c)).toBe("cost per 1,000 records (4000 processed over 100 s): system 4 CPU-s and 4000 MiB·s (mean 160 MiB); testbed 1 CPU-s and 6000 MiB·s (mean 240 MiB); monitoring 0.25 CPU-s and 2000 MiB·s (mean 80 MiB)");
  });

  it("gives no per-record figure when nothing was processed, rather than dividing by zero", () => {
    const c = costOf({ windowSeconds: 10, records: 0, cpuSeconds: { worker: 1 }, meanMemoryBytes: { worker: MiB } });
    expect(c.groups[0]).toEqual({ group: "system", cpuSeconds: 1, meanMemoryMiB: 1 });
  });
});
