// The smoke scenario: a minute at a gentle rate: does everything work end to end, under the chosen faults?
// Rate and duration come from RATE and DURATION (see lib/profiles.js for the defaults).
import { profileOptions } from "./lib/profiles.js";
import { gate, postNext, writeSummary } from "./lib/scenario.js";
import { sloThresholds } from "./lib/thresholds.js";

export const options = profileOptions("smoke", sloThresholds);
export const setup = gate;
export default postNext;
export const handleSummary = writeSummary;
