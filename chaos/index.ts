// The chaos engine: declarative experiments (steady state, method of faults), run against a stack with
// guaranteed rollback and verified removal, and seeded schedules for placing them within a load.
export type { ChaosOptions, ChaosTargets, Experiment, FaultKind, FaultSpec, ProbeSpec, TargetSelector } from "./types";
export type { ExperimentResult, FaultResult, ProbeResult } from "./results";
export { FAULT_KINDS } from "./types";
export { builtInExperiments, findExperiment, withDuration } from "./builtins";
export { loadExperimentFile } from "./file";
export { planSchedule, plannedSeconds, mulberry32 } from "./schedule";
export { runExperiment } from "./run";
export { chaosTargetsFromOutputs } from "./targets";
export { ExperimentError, validateExperiment } from "./validate";
export { sweep } from "./sweep";
export { validateCampaign, loadCampaignFile, type Campaign, type CampaignEntry, type CampaignSlo, type Lane } from "./campaign";
export { builtInCampaigns, findCampaign } from "./campaigns";
export { occurrences, planCampaign, type PlannedExperiment } from "./campaign-plan";
export { campaignFigures, type CampaignFigures, type ExperimentFigures, type Placement } from "./campaign-figures";
