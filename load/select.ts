// Which engine a run uses: `--engine` (or CP3_LOAD_ENGINE), default loadgen. k6 is the user's own: `--k6 PATH`,
// else the first `k6` on PATH, at least 1.0. A missing or too old k6 is a usage error that says how to get one.
import { UsageError } from "../lib/usage-error";
import { findExternalK6, K6_MINIMUM } from "../toolchain/external-k6";
import { ENGINES, type EngineName } from "./engine";
import { K6 } from "./k6";

export interface EngineChoice {
  /** --engine; undefined: CP3_LOAD_ENGINE, else loadgen. */
  engine?: string;
  /** --k6: the k6 binary to use. */
  k6?: string;
}

/** Parses and checks the choice before anything is created. */
export function engineName(choice: EngineChoice): EngineName {
  const fromEnv = process.env.CP3_LOAD_ENGINE;
  const name = choice.engine ?? (fromEnv === "" ? undefined : fromEnv) ?? "loadgen";
  const source = choice.engine !== undefined ? "--engine" : fromEnv ? "CP3_LOAD_ENGINE" : "default";
  if (!(ENGINES as readonly string[]).includes(name)) throw new UsageError(`${source}: got "${name}"; allowed: ${ENGINES.join(", ")}`);
  if (choice.k6 !== undefined && name !== "k6") throw new UsageError(`--k6: given with the ${name} engine; --k6 PATH is only for --engine k6`);
  return name as EngineName;
}

const INSTALL_K6 = "install k6 yourself (https://grafana.com/docs/k6/latest/set-up/install-k6/) and put it on PATH or pass --k6 PATH, or use the default engine (leave out --engine)";

export async function findK6(given: string | undefined): Promise<K6> {
  const k6 = await findExternalK6(given);
  if (!k6) throw new UsageError(`--engine k6: no k6 on PATH; ${INSTALL_K6}`);
  if (!k6.version) throw new UsageError(`--k6: "${k6.path}" does not run as k6 (\`${k6.path} version\` failed); ${INSTALL_K6}`);
  if (!k6.usable) throw new UsageError(`--engine k6: ${k6.path} is k6 ${k6.version}; allowed: ${K6_MINIMUM} or newer`);
  return new K6(k6.path, k6.version);
}
