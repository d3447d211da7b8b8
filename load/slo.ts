// The SLO gates evaluated from the ledger, one line at a time, the same code for every engine. Latencies go into
// an HDR histogram (3 significant digits, microseconds) rather than an array, so a 24 h soak costs a few
// kilobytes, not a number per request.
import { build, type Histogram } from "hdr-histogram-js";
import { outcomeOf, type LedgerEntry } from "../integrity/ledger";
import type { Slo } from "./plan";
import type { ThresholdResult } from "./types";

export function latencyHistogram(): Histogram {
  return build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/** ms with one decimal, from the histogram's microseconds. */
export const msAt = (h: Histogram, percentile: number): number => (h.totalCount === 0 ? 0 : Math.round(h.getValueAtPercentile(percentile) / 100) / 10);

const count = (n: number) => n.toLocaleString("en-US");

/** "0.012 %" with as many decimals as it takes to show a non-zero share. */
export function percentText(part: number, whole: number): string {
  if (whole === 0 || part === 0) return "0 %";
  const pct = (part / whole) * 100;
  const decimals = Math.min(6, Math.max(1, Math.ceil(-Math.log10(pct)) + 1));
  return `${pct.toFixed(decimals)} %`;
}

export class SloEvaluator {
  private requests = 0;
  private failed = 0;
  private readonly acknowledged = latencyHistogram();

  constructor(private readonly slo: Slo) {}

  add(e: LedgerEntry): void {
    this.requests++;
    if (outcomeOf(e.s) === "acknowledged") this.acknowledged.recordValue(Math.max(1, Math.round(e.d * 1000)));
    else this.failed++;
  }

  /** One result per gate; each says what was observed in words that explain a failure. */
  results(): ThresholdResult[] {
    const { p95Ms, p99Ms, maxFailedRate } = this.slo;
    const failedRate = this.requests === 0 ? 0 : this.failed / this.requests;
    const acked = this.acknowledged.totalCount;
    const latency = (p: number, limit: number): ThresholdResult => {
      const observed = msAt(this.acknowledged, p);
      return {
        name: `latency p${p}`,
        condition: `p${p} < ${limit} ms (acknowledged requests)`,
        passed: acked > 0 && observed < limit,
        observed,
        detail: acked === 0 ? "no acknowledged request to measure" : `p${p} ${observed} ms over ${count(acked)} acknowledged requests`,
      };
    };
    return [
      {
        name: "failed requests",
        condition: maxFailedRate === 0 ? "none failed" : `at most ${maxFailedRate * 100} % failed`,
        passed: this.requests > 0 && failedRate <= maxFailedRate,
        observed: failedRate,
        detail: this.requests === 0 ? "no request was made" : `${count(this.failed)} of ${count(this.requests)} failed (${percentText(this.failed, this.requests)})`,
      },
      latency(95, p95Ms),
      latency(99, p99Ms),
    ];
  }
}
