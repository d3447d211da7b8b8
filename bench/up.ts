// `cp3 bench up`: warm `cp3 up` to all-healthy against a plain `docker run` script that starts the same
// containers from the same images, measured in one run and given as a ratio (this machine is shared and noisy,
// so only figures taken side by side mean anything); destroy time; an update with a full image build against
// one with a flow-only rebuild.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { destroyAlways, destroyStack, openStack, upStack } from "../lifecycle/stacks";
import * as docker from "../lib/docker-api";
import { run } from "../lib/exec";
import { projectRoot, workDir } from "../lib/paths";
import { say } from "../lib/progress";
import type { Toolchain } from "../toolchain/setup";
import { dockerRunScript, type ScriptContainer } from "./docker-run-script";

const seconds = async (work: () => Promise<unknown>) => {
  const t0 = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function scriptFor(stackName: string, prefix: string): Promise<{ script: string; containers: string[]; networks: string[] }> {
  const summaries = await docker.containersWithLabels({ "cp3.stack": stackName });
  const inspected = await Promise.all(summaries.map((s) => docker.inspectContainer(s.Id)));
  const role = (c: ScriptContainer["inspect"]) => c.Config.Labels["cp3.component"] ?? "";
  const byName = (a: ScriptContainer, b: ScriptContainer) => a.inspect.Name.localeCompare(b.inspect.Name);
  const all = inspected.map((inspect) => ({ inspect, job: ["jetstream-setup", "migration-apply"].includes(role(inspect)) }));
  const flows = all.filter((c) => ["gateway", "worker"].includes(role(c.inspect))).sort(byName);
  const jobs = all.filter((c) => c.job).sort((a) => (role(a.inspect) === "migration-apply" ? -1 : 1));
  const services = all.filter((c) => !c.job && !flows.includes(c)).sort(byName);
  const networks = (await docker.networksWithLabels({ "cp3.stack": stackName })).map((n) => ({ name: n.Name, internal: n.Internal }));
  return {
    script: dockerRunScript(networks, services, jobs, flows, prefix),
    containers: [...services, ...flows].map((c) => prefix + c.inspect.Name.replace(/^\//, "")),
    networks: networks.map((n) => prefix + n.name),
  };
}

async function removeBaseline(containers: string[], networks: string[]): Promise<void> {
  for (const c of containers) await docker.removeContainer(c).catch(() => undefined);
  for (const n of networks) await docker.removeNetwork(n).catch(() => undefined);
}

export interface BenchUpFigures {
  rounds: number;
  pulumiUpSeconds: number[];
  dockerRunSeconds: number[];
  upRatio: number;
  destroySeconds: number[];
  dockerRemoveSeconds: number[];
  fullBuildUpSeconds: number;
  flowOnlyUpSeconds: number;
  buildRatio: number;
}

export async function benchUp(toolchain: Toolchain, rounds: number): Promise<BenchUpFigures> {
  const name = `ci-bench-${Date.now().toString(36)}`;
  const prefix = "bench-";
  const stack: Stack = await openStack(name, toolchain);
  const baseline = { containers: [] as string[], networks: [] as string[] };
  const f: BenchUpFigures = { rounds, pulumiUpSeconds: [], dockerRunSeconds: [], upRatio: 0, destroySeconds: [], dockerRemoveSeconds: [], fullBuildUpSeconds: 0, flowOnlyUpSeconds: 0, buildRatio: 0 };
  try {
    say("bench: warm-up up (builds any missing image)");
    await upStack(stack);
    const { script, containers, networks } = await scriptFor(name, prefix);
    Object.assign(baseline, { containers, networks });
    const scriptFile = path.join(workDir("bench"), "docker-run.sh");
    fs.writeFileSync(scriptFile, script, { mode: 0o755 });
    say(`bench: the docker run baseline is ${scriptFile}`);
    await destroyStack(stack, { remove: false });

    for (let i = 1; i <= rounds; i++) {
      // Alternate the two, so drift in the machine's load hits both alike.
      f.pulumiUpSeconds.push(await seconds(() => upStack(stack)));
      f.destroySeconds.push(await seconds(() => destroyStack(stack, { remove: false })));
      f.dockerRunSeconds.push(await seconds(() => run("sh", [scriptFile], { step: "bench docker run", log: "bench-docker-run" })));
      f.dockerRemoveSeconds.push(await seconds(() => removeBaseline(containers, networks)));
      say(`bench: round ${i}/${rounds}: cp3 up ${f.pulumiUpSeconds.at(-1)!.toFixed(1)} s, docker run ${f.dockerRunSeconds.at(-1)!.toFixed(1)} s`);
    }
    f.upRatio = median(f.pulumiUpSeconds) / median(f.dockerRunSeconds);

    await upStack(stack);
    const worker = path.join(projectRoot, "workload", "flows", "worker", "main.ts");
    const original = fs.readFileSync(worker, "utf8");
    try {
      fs.writeFileSync(worker, `${original}// bench ${Date.now()}\n`);
      f.flowOnlyUpSeconds = await seconds(() => upStack(stack));
    } finally {
      fs.writeFileSync(worker, original);
    }
    // A full build: drop every image the stack built (the Debian root stays: it is set-up's, not a build).
    await destroyStack(stack, { remove: false });
    const images = await docker.listImages();
    for (const tag of images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith("cp3/") && !t.startsWith("cp3/debian:"))) {
      await docker.removeImage(tag);
    }
    await docker.pruneBuildCache().catch(() => undefined);
    f.fullBuildUpSeconds = await seconds(() => upStack(stack));
    f.buildRatio = f.fullBuildUpSeconds / f.flowOnlyUpSeconds;
    return f;
  } finally {
    await removeBaseline(baseline.containers, baseline.networks);
    await destroyAlways(stack);
  }
}

export function formatBenchUp(f: BenchUpFigures): string {
  const s = (xs: number[]) => `${median(xs).toFixed(1)} s (median of ${xs.length}: ${xs.map((x) => x.toFixed(1)).join(", ")})`;
  return [
    `warm cp3 up to all healthy:        ${s(f.pulumiUpSeconds)}`,
    `same containers via docker run:    ${s(f.dockerRunSeconds)}`,
    `ratio cp3 up / docker run:         ${f.upRatio.toFixed(2)}`,
    `cp3 destroy:                       ${s(f.destroySeconds)}`,
    `docker rm + network rm:            ${s(f.dockerRemoveSeconds)}`,
    `up with a full image build:        ${f.fullBuildUpSeconds.toFixed(1)} s`,
    `up with a flow-only rebuild:       ${f.flowOnlyUpSeconds.toFixed(1)} s`,
    `ratio full build / flow-only:      ${f.buildRatio.toFixed(2)}`,
  ].join("\n");
}
