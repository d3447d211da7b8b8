// `cp3 bench up`: warm `cp3 up` to all-healthy against a plain `docker run` script that starts the same
// containers from the same images, measured in one run and given as a ratio (this machine is shared and noisy,
// so only figures taken side by side mean anything); destroy time; an update with a full image build against
// one with a flow-only rebuild and a cold one (every image built); the time to the gateway's first 202; and the
// critical path of each operation (lifecycle/profile.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { destroyAlways, destroyStack, openStack, upStack } from "../lifecycle/stacks";
import { buildsIn, formatBuilds, profileOf, stackGraph, StepRecorder } from "../lifecycle/profile";
import { requestFor, systemFromOutputs, type SystemUnderTest } from "../pipeline/system";
import { pollUntil } from "../lib/poll";
import * as docker from "../lib/docker-api";
import { run } from "../lib/exec";
import { buildLogDir, projectRoot, workDir } from "../lib/paths";
import { say } from "../lib/progress";
import type { Toolchain } from "../toolchain/setup";
import { baselineVolumes, dockerRunScript, type ScriptContainer } from "./docker-run-script";
import { HOLDER_LABEL, SECRETS_DIR } from "../lib/secret-holders";

const seconds = async (work: () => Promise<unknown>) => {
  const t0 = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function scriptFor(stackName: string, prefix: string): Promise<{ script: string; containers: string[]; networks: string[]; volumes: string[] }> {
  const summaries = await docker.containersWithLabels({ "cp3.stack": stackName });
  const inspected = await Promise.all(summaries.map((s) => docker.inspectContainer(s.Id)));
  const role = (c: ScriptContainer["inspect"]) => c.Config.Labels["cp3.component"] ?? "";
  const byName = (a: ScriptContainer, b: ScriptContainer) => a.inspect.Name.localeCompare(b.inspect.Name);
  // Secret holders first: a copy of each one's files, for the baseline to fill its own volume from (0600, in a 0700 folder).
  const isHolder = (c: ScriptContainer["inspect"]) => c.Config.Labels["cp3.purpose"] === HOLDER_LABEL["cp3.purpose"];
  const secretsDir = path.join(workDir("bench"), "secrets");
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const holders = await Promise.all(
    inspected.filter(isHolder).map(async (inspect) => {
      const archive = path.join(secretsDir, `${inspect.Name.replace(/^\//, "")}.tar`);
      fs.writeFileSync(archive, await docker.getArchive(inspect.Id, SECRETS_DIR), { mode: 0o600 });
      return { inspect, archive };
    }),
  );
  const all = inspected.filter((i) => !isHolder(i)).map((inspect) => ({ inspect, job: ["jetstream-setup", "migration-apply"].includes(role(inspect)) }));
  const flows = all.filter((c) => ["gateway", "worker"].includes(role(c.inspect))).sort(byName);
  const jobs = all.filter((c) => c.job).sort((a) => (role(a.inspect) === "migration-apply" ? -1 : 1));
  const services = all.filter((c) => !c.job && !flows.includes(c)).sort(byName);
  const networks = (await docker.networksWithLabels({ "cp3.stack": stackName })).map((n) => ({ name: n.Name, internal: n.Internal }));
  return {
    script: dockerRunScript(networks, holders, services, jobs, flows, prefix),
    containers: [...holders, ...services, ...flows].map((c) => prefix + c.inspect.Name.replace(/^\//, "")),
    networks: networks.map((n) => prefix + n.name),
    volumes: baselineVolumes(inspected, prefix),
  };
}

async function removeBaseline(b: { containers: string[]; networks: string[]; volumes: string[] }): Promise<void> {
  for (const c of b.containers) await docker.removeContainer(c).catch(() => undefined);
  for (const n of b.networks) await docker.removeNetwork(n).catch(() => undefined);
  for (const v of b.volumes) await docker.removeVolume(v).catch(() => undefined);
}

/**
 * From the moment `startedMs` on, waits until the gateway's published port answers a record with 202: the time a
 * user waits after `cp3 up` starts before the system takes work. The port is read from the engine while the up
 * runs (it is engine-picked), so an answer before the up returns counts. Only 127.0.0.1 is asked.
 */
async function firstAccepted(stackName: string, template: SystemUnderTest, startedMs: number, signal: AbortSignal): Promise<number> {
  let n = 0;
  return pollUntil(
    async (note) => {
      const [gateway] = await docker.containersWithLabels({ "cp3.stack": stackName, "cp3.component": "gateway" });
      if (!gateway) return note("no gateway container yet"), undefined;
      const port = (await docker.inspectContainer(gateway.Id).catch(() => undefined))?.NetworkSettings.Ports?.["8080/tcp"]?.[0]?.HostPort;
      if (!port) return note("the gateway's port is not published yet"), undefined;
      const { url, init } = requestFor({ ...template, entryUrl: `http://127.0.0.1:${port}` }, `bench-up-${startedMs}-${n}`, n++);
      const status = await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) }).then(async (r) => (await r.arrayBuffer(), r.status), () => 0);
      return status === 202 ? (Date.now() - startedMs) / 1000 : (note(`the gateway answered ${status || "nothing"}`), undefined);
    },
    { timeoutMs: 180_000, intervalMs: 100, signal, what: "a 202 from the gateway" },
  );
}

export interface BenchUpFigures {
  rounds: number;
  pulumiUpSeconds: number[];
  dockerRunSeconds: number[];
  upRatio: number;
  destroySeconds: number[];
  dockerRemoveSeconds: number[];
  destroyRatio: number;
  /** From the start of `cp3 up` to the gateway's first 202, per round. */
  firstAcceptedSeconds: number[];
  /** An up with no image of the stack's and an empty build cache: every image built. */
  coldUpSeconds: number;
  flowOnlyUpSeconds: number;
  /** Flow-only rebuild over the cold up's full build. */
  rebuildRatio: number;
  /** The critical paths of the last round's up and destroy and of the flow-only rebuild, and what it built. */
  profile: string[];
}

export async function benchUp(toolchain: Toolchain, rounds: number): Promise<BenchUpFigures> {
  const name = `ci-bench-${Date.now().toString(36)}`;
  const prefix = "bench-";
  const stack: Stack = await openStack(name, toolchain);
  const baseline = { containers: [] as string[], networks: [] as string[], volumes: [] as string[] };
  const f: BenchUpFigures = {
    rounds, pulumiUpSeconds: [], dockerRunSeconds: [], upRatio: 0, destroySeconds: [], dockerRemoveSeconds: [], destroyRatio: 0,
    firstAcceptedSeconds: [], coldUpSeconds: 0, flowOnlyUpSeconds: 0, rebuildRatio: 0, profile: [],
  };
  const stop = new AbortController();
  try {
    say("bench: warm-up up (builds any missing image)");
    const system = systemFromOutputs((await upStack(stack)).outputs);
    const { script, ...made } = await scriptFor(name, prefix);
    Object.assign(baseline, made);
    const scriptFile = path.join(workDir("bench"), "docker-run.sh");
    fs.writeFileSync(scriptFile, script, { mode: 0o755 });
    say(`bench: the docker run baseline is ${scriptFile}`);
    await destroyStack(stack, { remove: false });

    for (let i = 1; i <= rounds; i++) {
      // Alternate the two, so drift in the machine's load hits both alike.
      const up = new StepRecorder();
      const accepted = firstAccepted(name, system, up.startedAtMs, stop.signal);
      // If the up fails, the wait is aborted in `finally` and nobody awaits it: its rejection is not news.
      accepted.catch(() => undefined);
      f.pulumiUpSeconds.push(await seconds(() => upStack(stack, undefined, up)));
      f.firstAcceptedSeconds.push(await accepted);
      const graph = await stackGraph(stack);
      const down = new StepRecorder();
      f.destroySeconds.push(await seconds(() => destroyStack(stack, { remove: false, recorder: down })));
      if (i === rounds) f.profile.push(...(await profileOf("warm up", up, graph, name)), ...(await profileOf("destroy", down, graph, name)));
      f.dockerRunSeconds.push(await seconds(() => run("sh", [scriptFile], { step: "bench docker run", log: "bench-docker-run" })));
      f.dockerRemoveSeconds.push(await seconds(() => removeBaseline(baseline)));
      say(`bench: round ${i}/${rounds}: cp3 up ${f.pulumiUpSeconds.at(-1)!.toFixed(1)} s, docker run ${f.dockerRunSeconds.at(-1)!.toFixed(1)} s`);
    }
    f.upRatio = median(f.pulumiUpSeconds) / median(f.dockerRunSeconds);
    f.destroyRatio = median(f.destroySeconds) / median(f.dockerRemoveSeconds);

    await upStack(stack);
    const worker = path.join(projectRoot, "workload", "flows", "worker", "main.ts");
    const original = fs.readFileSync(worker, "utf8");
    const rebuild = new StepRecorder();
    try {
      fs.writeFileSync(worker, `${original}// bench ${Date.now()}\n`);
      f.flowOnlyUpSeconds = await seconds(() => upStack(stack, undefined, rebuild));
    } finally {
      fs.writeFileSync(worker, original);
    }
    f.profile.push(...(await profileOf("flow-only rebuild", rebuild, await stackGraph(stack), name)), ...formatBuilds(buildsIn(buildLogDir(name))));
    // A cold up: drop every image the stack built (the Debian root stays: it is set-up's, not a build).
    await destroyStack(stack, { remove: false });
    const images = await docker.listImages();
    for (const tag of images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith("cp3/") && !t.startsWith("cp3/debian:"))) {
      await docker.removeImage(tag);
    }
    await docker.pruneBuildCache().catch(() => undefined);
    f.coldUpSeconds = await seconds(() => upStack(stack));
    f.rebuildRatio = f.flowOnlyUpSeconds / f.coldUpSeconds;
    return f;
  } finally {
    stop.abort();
    await removeBaseline(baseline);
    await destroyAlways(stack);
  }
}

export function formatBenchUp(f: BenchUpFigures): string {
  const s = (xs: number[]) => `${median(xs).toFixed(1)} s (median of ${xs.length}: ${xs.map((x) => x.toFixed(1)).join(", ")})`;
  return [
    `warm cp3 up to all healthy:        ${s(f.pulumiUpSeconds)}`,
    `same containers via docker run:    ${s(f.dockerRunSeconds)}`,
    `ratio cp3 up / docker run:         ${f.upRatio.toFixed(2)}   (goal ≤ 1.25)`,
    `cp3 up start to the first 202:     ${s(f.firstAcceptedSeconds)}`,
    `cp3 destroy:                       ${s(f.destroySeconds)}`,
    `docker rm + network rm:            ${s(f.dockerRemoveSeconds)}`,
    `ratio destroy / docker rm:         ${f.destroyRatio.toFixed(2)}   (goal ≤ 1.5)`,
    `cold up (no image, no build cache): ${f.coldUpSeconds.toFixed(1)} s`,
    `up with a flow-only rebuild:       ${f.flowOnlyUpSeconds.toFixed(1)} s`,
    `ratio flow-only / cold (full build): ${f.rebuildRatio.toFixed(2)}   (goal ≤ 0.2)`,
    "",
    ...f.profile,
  ].join("\n");
}
