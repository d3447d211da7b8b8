// The orphan sweep: removes the containers, networks and volumes of stacks nobody will clean up any more, like
// Testcontainers' reaper but without a privileged helper container. An object is an orphan when its stack
//   - has expired (label cp3.expires in the past), or
//   - is a ci stack whose owning process ended without destroying it (killed, crashed), or
//   - is a kept ci stack that its checkout's state backend no longer holds.
// Everything else is left alone: a run still going, a dev stack, a stack of another checkout still in use.
import { sweepCluster } from "../cluster/sweep";
import * as docker from "../lib/docker-api";
import { projectRoot } from "../lib/paths";
import { stackKind } from "../lib/pulumi-env";
import type { Toolchain } from "../toolchain/setup";
import { claimSweep, ownerAlive, readOwners, releaseStack, releaseSweep, stackInCheckout, type Owner } from "./owners";
import { stackNamespaces } from "./namespaces";
import { forgetStack, removeLabeled } from "./stacks";

export interface SweepDecision {
  stack: string;
  orphan: boolean;
  reason: string;
  /** "container <name>", "network <name>", "volume <name>", "namespace <name>". */
  objects: string[];
  /** Whether this checkout's state backend still holds the stack (its state is removed with it). */
  stateHere: boolean;
}

export interface Found {
  objects: string[];
  expires?: string;
}

async function labelledObjects(): Promise<Map<string, Found>> {
  const byStack = new Map<string, Found>();
  const note = (labels: Record<string, string> | undefined, what: string) => {
    const stack = labels?.["cp3.stack"];
    if (!stack) return;
    const f = byStack.get(stack) ?? { objects: [] };
    f.objects.push(what);
    f.expires ??= labels?.["cp3.expires"];
    byStack.set(stack, f);
  };
  const filter = { "cp3.stack": "" };
  for (const c of await docker.containersWithLabels(filter)) note(c.Labels, `container ${c.Names[0]?.replace(/^\//, "") ?? c.Id}`);
  for (const n of await docker.networksWithLabels(filter)) note(n.Labels, `network ${n.Name}`);
  for (const v of await docker.volumesWithLabels(filter)) note(v.Labels, `volume ${v.Name}`);
  for (const n of await stackNamespaces()) note({ "cp3.stack": n.stack, ...(n.expires ? { "cp3.expires": n.expires } : {}) }, `namespace ${n.name}`);
  return byStack;
}

export function decide(stack: string, found: Found, owner: Owner | undefined, now: number): Pick<SweepDecision, "orphan" | "reason"> {
  if (owner?.kind === "session" && ownerAlive(owner)) return { orphan: false, reason: `in use by pid ${owner.pid} since ${owner.since}` };
  if (found.expires && Date.parse(found.expires) < now) return { orphan: true, reason: `expired at ${found.expires}` };
  if (stackKind(stack) !== "ci") return { orphan: false, reason: "dev and staging stacks are only removed by `cp3 destroy`" };
  if (owner?.kind === "session") return { orphan: true, reason: `its owner (pid ${owner.pid}) ended without destroying it` };
  if (owner?.kind === "kept" && !stackInCheckout(owner.projectRoot, stack)) return { orphan: true, reason: `its stack no longer exists in ${owner.projectRoot}` };
  if (owner?.kind === "kept") return { orphan: false, reason: `kept (cp3 up or --keep) until ${found.expires ?? "destroyed"}` };
  return { orphan: false, reason: "no owner on record; left until it expires" };
}

export async function planSweep(now = Date.now()): Promise<SweepDecision[]> {
  const owners = readOwners();
  const found = await labelledObjects();
  // Owners whose stack left nothing on the engine but whose process died: their state may still need removing.
  for (const [stack, owner] of owners) {
    if (!found.has(stack) && owner.kind === "session" && !ownerAlive(owner)) found.set(stack, { objects: [] });
  }
  return [...found.entries()]
    .map(([stack, f]) => ({ stack, objects: f.objects, stateHere: stackInCheckout(projectRoot, stack), ...decide(stack, f, owners.get(stack), now) }))
    .sort((a, b) => a.stack.localeCompare(b.stack));
}


/**
 * Removes every orphan's objects, then its state when this checkout's backend holds it. Returns the decisions
 * (orphans and the stacks left alone, with why). `dryRun` only plans.
 */
export async function sweepOrphans(toolchain: Toolchain, options: { dryRun: boolean; log: (line: string) => void }): Promise<SweepDecision[]> {
  const decisions = await planSweep();
  // The single-node Kubernetes cluster, when its owner is gone or it is half running (cluster/sweep.ts).
  await sweepCluster(options);
  for (const d of decisions.filter((x) => x.orphan)) {
    const what = d.objects.length > 0 ? d.objects.join(", ") : "no engine objects";
    options.log(`${options.dryRun ? "would remove" : "removing"} ${d.stack} (${d.reason}): ${what}${d.stateHere ? ", and its stack state" : ""}`);
    if (options.dryRun) continue;
    // Two runs starting at once both sweep: the first to claim an orphan removes it, the other leaves it.
    if (!claimSweep(d.stack)) {
      options.log(`${d.stack}: another process is sweeping it`);
      continue;
    }
    try {
      await removeLabeled(d.stack);
      if (d.stateHere) await forgetStack(d.stack, toolchain);
      releaseStack(d.stack);
    } finally {
      releaseSweep(d.stack);
    }
  }
  return decisions;
}
