// The smoke scenario: a minute at a gentle rate: does everything work end to end, under the chosen faults?
// Rates, stages and thresholds come from the plan the driver wrote (load/plan.ts, PROFILE_SPECS.smoke).
import { options as planned } from "./lib/plan.js";
import { gate, sendNext, writeSummary } from "./lib/scenario.js";

export const options = planned;
export const setup = gate;
export default sendNext;
export const handleSummary = writeSummary;
