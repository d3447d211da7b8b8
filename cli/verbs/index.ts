import type { Parsed, VerbSpec } from "../args";
import { benchSpec, runBench } from "./bench";
import { chaosSpec, runChaos } from "./chaos";
import { clusterSpec, runCluster } from "./cluster";
import { checkSpec, runCheck } from "./check";
import { exportSpec, runExport } from "./export";
import { mainJobSpec, runRun, runSpec } from "./run";
import { rotateSecretSpec, runRotateSecret } from "./rotate-secret";
import { runScan, scanSpec } from "./scan";
import { runSetup, setupSpec } from "./setup";
import { runSweep, sweepSpec } from "./sweep";
import { destroySpec, outputsSpec, runDestroy, runOutputs, runUp, upSpec } from "./stack";
import { runTests, testSpec } from "./test";
import { runVerify, verifySpec } from "./verify";

export interface Verb {
  spec: VerbSpec;
  run: (parsed: Parsed) => Promise<number>;
}

export const verbs: Verb[] = [
  { spec: mainJobSpec, run: runRun },
  { spec: runSpec, run: runRun },
  { spec: checkSpec, run: runCheck },
  { spec: sweepSpec, run: runSweep },
  { spec: setupSpec, run: runSetup },
  { spec: upSpec, run: runUp },
  { spec: destroySpec, run: runDestroy },
  { spec: outputsSpec, run: runOutputs },
  { spec: verifySpec, run: runVerify },
  { spec: testSpec, run: runTests },
  { spec: benchSpec, run: runBench },
  { spec: chaosSpec, run: runChaos },
  { spec: scanSpec, run: runScan },
  { spec: rotateSecretSpec, run: runRotateSecret },
  { spec: exportSpec, run: runExport },
  { spec: clusterSpec, run: runCluster },
];
