// The soak scenario: a moderate constant rate for hours (24 h and beyond): leaks, drifts, growing tables.
// Rate and duration come from RATE and DURATION (see lib/profiles.js for the defaults).
import { profileOptions } from "./lib/profiles.js";
import { gate, postNext, writeSummary } from "./lib/scenario.js";
import { sloThresholds } from "./lib/thresholds.js";

export const options = profileOptions("soak", sloThresholds);
export const setup = gate;
export default postNext;
export const handleSummary = writeSummary;
