// The load scenario: the expected production rate at a constant arrival rate: are the SLOs kept?
// Rate and duration come from RATE and DURATION (see lib/profiles.js for the defaults).
import { profileOptions } from "./lib/profiles.js";
import { gate, postNext, writeSummary } from "./lib/scenario.js";
import { sloThresholds } from "./lib/thresholds.js";

export const options = profileOptions("load", sloThresholds);
export const setup = gate;
export default postNext;
export const handleSummary = writeSummary;
