// The stress scenario: a ramping arrival rate in six steps to well past the expected rate: where is the knee?
// Rate and duration come from RATE and DURATION (see lib/profiles.js for the defaults).
import { profileOptions } from "./lib/profiles.js";
import { gate, postNext, writeSummary } from "./lib/scenario.js";
import { sloThresholds } from "./lib/thresholds.js";

export const options = profileOptions("stress", sloThresholds);
export const setup = gate;
export default postNext;
export const handleSummary = writeSummary;
