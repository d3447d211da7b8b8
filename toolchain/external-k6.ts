// k6 is the user's own tool: never built, downloaded or shipped here (it is AGPL-3.0). This finds the one they
// installed, for `setup --check` and for `--engine k6`.
import { succeeds } from "../lib/exec";
import { findOnPath } from "../lib/which";
import { atLeast, parseVersion } from "./tools";

export const K6_MINIMUM = "1.0.0";

export interface ExternalK6 {
  path: string;
  /** undefined when `k6 version` did not run. */
  version: string | undefined;
  usable: boolean;
}

/** `given` (--k6), else the first k6 on PATH outside `skipDir`; undefined when there is none. */
export async function findExternalK6(given?: string, skipDir?: string): Promise<ExternalK6 | undefined> {
  const found = given ?? findOnPath("k6", skipDir);
  if (!found) return undefined;
  // `k6 version` prints "k6 v1.4.2 (commit/..., go1.24...)".
  const version = parseVersion((await succeeds(found, ["version"])) ?? "");
  return { path: found, version, usable: version !== undefined && atLeast(version, K6_MINIMUM) };
}
