// Every fault kind and the code that applies, measures, rolls back and verifies it.
import type { FaultKind } from "../types";
import { bandwidthLimit } from "./bandwidth";
import { containerKill, containerPause, containerRestart, containerStop } from "./container";
import { diskFill } from "./disk-fill";
import type { FaultFactory } from "./fault";
import { networkDisconnect } from "./network-disconnect";
import { packetLoss } from "./packet-loss";
import { podDelete, podEvict, podPartition, scaleToZero } from "./pod";
import { networkPartition } from "./partition";
import { cpuStress, memoryStress } from "./stress";
import { toxic } from "./toxics";

export const FAULTS: Record<FaultKind, FaultFactory> = {
  "container-kill": containerKill,
  "container-stop": containerStop,
  "container-restart": containerRestart,
  "container-pause": containerPause,
  "network-disconnect": networkDisconnect,
  "network-partition": networkPartition,
  "packet-loss": packetLoss,
  "bandwidth-limit": bandwidthLimit,
  latency: toxic("latency"),
  timeout: toxic("timeout"),
  "reset-peer": toxic("reset-peer"),
  "slow-close": toxic("slow-close"),
  "disk-fill": diskFill,
  "cpu-stress": cpuStress,
  "memory-stress": memoryStress,
  "pod-delete": podDelete,
  "pod-evict": podEvict,
  "scale-to-zero": scaleToZero,
  "pod-partition": podPartition,
};

export { FaultSkipped } from "./fault";
