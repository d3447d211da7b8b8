import { randomBytes } from "node:crypto";

/** A run id: sortable by time, unique enough for many runs side by side on one machine. */
export const newRunId = () => `${Date.now().toString(36)}-${randomBytes(2).toString("hex")}`;
