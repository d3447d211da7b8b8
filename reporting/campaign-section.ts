// The "Campaign" section of report.html: the reliability line, per experiment what ran and how it went, and where
// every lost or duplicated record fell (in a fault window, or before, between or after them).
import type { CampaignFigures } from "../chaos/campaign-figures";
import { esc, missing, num, seconds, table } from "./markup";

export function campaignSection(c: CampaignFigures | undefined): string {
  if (!c) return "";
  const perExperiment = table("campaign-experiments", ["Experiment", "Fault kinds", "Planned", "Injected", "Passed", "Failed", "Skipped", "Errors", "Recovery p50 / p95 / max", "Client errors during", "Lost", "Duplicated"], c.experiments.map((x) => [
    x.experiment, x.faultKinds.join(", "), x.planned, x.injected, x.passed, x.failed, x.skipped, x.errors,
    x.recoverySeconds ? `${num(x.recoverySeconds.p50)} / ${num(x.recoverySeconds.p95)} / ${num(x.recoverySeconds.max)} s` : undefined,
    x.clientErrors, x.lost, x.duplicated,
  ]));
  const placements = table("campaign-placements", ["Where", "From", "To", "Lost", "Duplicated"], c.placements.map((p) => [p.where, seconds(p.from), seconds(p.to), p.lost, p.duplicated]));
  return `<section id="campaign"><h2>Campaign ${esc(c.name)}</h2>
<p id="campaign-summary">${esc(c.summary)}</p>
${c.experiments.length === 0 ? missing("No experiment ran.") : perExperiment}
<h3>Where lost and duplicated records fell</h3>
<p>A fault window runs from a fault's start to the end of its experiment's recovery; a record counts in every window it fell in.</p>
${placements}
</section>`;
}
