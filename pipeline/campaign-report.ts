// A campaign run's figures for the report: the chaos library's per-experiment figures, fed with what the ledger
// and the integrity check found, each placed in time (seconds since the load started).
import { campaignFigures, type CampaignFigures, type ExperimentResult } from "../chaos";
import type { IntegrityResult } from "../integrity/results";
import { forEachLedgerEntry, outcomeOf } from "../integrity/ledger";

export async function campaignFiguresOf(name: string, experiments: ExperimentResult[], o: { ledger: string; loadStartedAtMs: number; loadSeconds: number; integrity?: IntegrityResult }): Promise<CampaignFigures> {
  const since = (ms: number) => (ms - o.loadStartedAtMs) / 1000;
  const duplicateKeys = new Set(o.integrity?.duplicates.map((d) => d.key) ?? []);
  const duplicateAckMs = new Map<string, number>();
  const clientErrorsAt: number[] = [];
  await forEachLedgerEntry([o.ledger], (e) => {
    const outcome = outcomeOf(e.s);
    if (outcome !== "acknowledged") clientErrorsAt.push(since(e.t + e.d));
    else if (duplicateKeys.has(e.k)) duplicateAckMs.set(e.k, Math.min(duplicateAckMs.get(e.k) ?? Infinity, e.t + e.d));
  });
  return campaignFigures(name, experiments, {
    acknowledged: o.integrity?.acknowledged ?? 0,
    loadSeconds: o.loadSeconds,
    lostAt: (o.integrity?.lost ?? []).map((l) => since(l.acknowledgedAt)),
    duplicatedAt: [...duplicateAckMs.values()].map(since),
    clientErrorsAt,
  });
}
