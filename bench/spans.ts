// What the span spool costs a flow: the CPU per record of making and exporting a worker's seven spans, with the
// spans waiting in memory (the OpenTelemetry batch processor, the baseline) and in the spool's files
// (workload/core/span-spool.ts), measured in turn in this one process. Both export over OTLP/HTTP to a sink on
// 127.0.0.1 in this process that takes everything, so the encoding and the sink count alike in both.
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createTracing, traceparentOf } from "../workload/core/tracing.ts";

export interface BenchSpansFigures {
  records: number;
  spansPerRecord: number;
  /** CPU µs per record, one figure per round. */
  memoryMicros: number[];
  spoolMicros: number[];
  /** Median spool / median memory. */
  ratio: number;
}

const SPANS_PER_RECORD = 7;

/** One record's spans, as the flows make them: a request with two children, then a consumer with four. */
function record(t: ReturnType<typeof createTracing>): void {
  const request = t.start("POST /v1/records", null);
  const accept = t.start("records.accept", traceparentOf(request));
  accept.end();
  const publish = t.start("records.publish", traceparentOf(accept));
  publish.end();
  request.end();
  const receive = t.start("records.receive", traceparentOf(publish));
  for (const name of ["records.process", "records.commit", "records.ack"]) t.start(name, traceparentOf(receive)).end();
  receive.end();
}

/** CPU µs per record for `records` records, made in batches of 100 a tick (as a busy flow would) and exported. */
async function measure(url: string, spoolDir: string | undefined, records: number): Promise<number> {
  const t = createTracing({ url, service: "worker", instance: "bench", ...(spoolDir ? { spoolDir } : {}) });
  const before = process.cpuUsage();
  for (let i = 0; i < records; i += 100) {
    for (let j = 0; j < 100; j++) record(t);
    await new Promise((r) => setImmediate(r));
  }
  await t.shutdown();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / records;
}

export async function benchSpans(o: { rounds: number; records?: number }): Promise<BenchSpansFigures> {
  const records = o.records ?? 20_000;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-bench-spool-"));
  const memoryMicros: number[] = [];
  const spoolMicros: number[] = [];
  try {
    await measure(url, undefined, 2_000); // warm-up: the JIT and the sink's sockets
    for (let round = 0; round < o.rounds; round++) {
      // In turn, each first every other round, so drift on a shared machine falls on both.
      const order = round % 2 === 0 ? (["memory", "spool"] as const) : (["spool", "memory"] as const);
      for (const kind of order) {
        if (kind === "memory") memoryMicros.push(await measure(url, undefined, records));
        else spoolMicros.push(await measure(url, path.join(dir, `round-${round}`), records));
      }
    }
  } finally {
    sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { records, spansPerRecord: SPANS_PER_RECORD, memoryMicros, spoolMicros, ratio: median(spoolMicros) / median(memoryMicros) };
}

export function formatBenchSpans(f: BenchSpansFigures): string {
  const s = (xs: number[]) => `${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1)} µs (rounds: ${xs.map((x) => x.toFixed(1)).join(", ")})`;
  return [
    `CPU per record (${f.spansPerRecord} spans made and exported over OTLP/HTTP), ${f.records} records a round:`,
    `  in memory (batch processor):       ${s(f.memoryMicros)}`,
    `  span spool (files, SIGKILL-safe):  ${s(f.spoolMicros)}`,
    `  ratio spool / memory:              ${f.ratio.toFixed(2)}`,
  ].join("\n");
}
