// The soak scenario: a moderate rate for hours: leaks, slow drifts, growing tables.
// Rates, stages and thresholds come from the plan the driver wrote (load/plan.ts, PROFILE_SPECS.soak).
import { options as planned } from "./lib/plan.js";
import { gate, sendNext, writeSummary } from "./lib/scenario.js";

export const options = planned;
export const setup = gate;
export default sendNext;
export const handleSummary = writeSummary;
