// Fills a container's writable mount (the JetStream tmpfs, PostgreSQL's data directory...) to a percentage
// with one file, written through the engine's exec as the container's own user (fallocate, else head from
// /dev/zero: both in a Debian minbase). Rollback deletes the file; verification checks it is gone.
import * as docker from "../../lib/docker-api";
import { diskUsage, execOk, inspect, mib } from "../engine";
import { FaultSkipped, forEach, leftoversOf, num, str, type ActiveFault, type FaultContext } from "./fault";
import { short } from "./peer";

/** Writable mounts that hold data: tmpfs mounts and volumes (binds are the host's, never filled). */
function candidates(i: docker.ContainerInspect): { path: string; tmpfs: boolean }[] {
  const tmpfs = Object.keys(i.HostConfig.Tmpfs ?? {}).map((path) => ({ path, tmpfs: true }));
  const volumes = i.Mounts.filter((m) => (m.Type === "volume" || m.Type === "tmpfs") && m.RW).map((m) => ({ path: m.Destination, tmpfs: m.Type === "tmpfs" }));
  return [...tmpfs, ...volumes.filter((v) => !tmpfs.some((t) => t.path === v.path))];
}

interface Fill {
  name: string;
  mount: string;
  tmpfs: boolean;
  file: string;
}

export const diskFill = (ctx: FaultContext): ActiveFault => {
  const percent = num(ctx.spec, "percent");
  const maxBytes = num(ctx.spec, "maxMiB") * 1048576;
  const fills: Fill[] = [];

  async function chooseMount(name: string): Promise<{ path: string; tmpfs: boolean }> {
    const all = candidates(await inspect(name));
    if (all.length === 0) throw new FaultSkipped(`${name} has no tmpfs or volume to fill`);
    const asked = str(ctx.spec, "mount");
    if (asked !== undefined) {
      const m = all.find((c) => c.path === asked);
      if (!m) throw new Error(`parameters.mount: got "${asked}"; allowed for ${name}: ${all.map((c) => c.path).join(", ")}`);
      return m;
    }
    // The largest one is where the data lives (the JetStream store, PGDATA), not a small runtime directory.
    const sizes = await diskUsage(name, all.map((c) => c.path));
    const largest = sizes.reduce((a, b) => (b.sizeBytes > a.sizeBytes ? b : a));
    return all.find((c) => c.path === largest.mount) ?? all[0]!;
  }

  return {
    async apply() {
      await forEach(ctx.names, async (name) => {
        const mount = await chooseMount(name);
        const [d] = await diskUsage(name, [mount.path]);
        if (!d) throw new Error(`df of ${mount.path} in ${name} printed nothing`);
        const want = Math.floor(((d.sizeBytes * percent) / 100 - d.usedBytes) / 4096) * 4096;
        if (want > maxBytes) throw new FaultSkipped(`filling ${mount.path} of ${name} to ${percent} % needs ${mib(want)} MiB, over maxMiB ${mib(maxBytes)}`);
        const fill = { name, mount: mount.path, tmpfs: mount.tmpfs, file: `${mount.path.replace(/\/$/, "")}/.${ctx.tag}.fill` };
        fills.push(fill);
        if (want <= 0) return;
        const r = await docker.exec(name, ["fallocate", "-l", String(want), fill.file], 60_000);
        // fallocate may be refused by the filesystem; writing zeros works everywhere.
        if (r.exitCode !== 0) await execOk(name, ["sh", "-c", `head -c ${want} /dev/zero > "$1"`, "fill", fill.file], 120_000);
      });
    },
    async measure() {
      const seen = await Promise.all(
        fills.map(async (f) => {
          const [d] = await diskUsage(f.name, [f.mount]);
          if (!d) return `${short(f.name)}: df ${f.mount} printed nothing`;
          return `${short(f.name)}: df ${f.mount} ${((100 * d.usedBytes) / d.sizeBytes).toFixed(1)} % used (${mib(d.usedBytes)} of ${mib(d.sizeBytes)} MiB, ${mib(d.availBytes)} MiB free)`;
        }),
      );
      return seen.join("; ");
    },
    async rollback() {
      const notes: string[] = [];
      await forEach(fills, async (f) => {
        const s = (await inspect(f.name)).State;
        // A stopped container's tmpfs is gone, and the file with it.
        if (!s.Running) {
          if (!f.tmpfs) notes.push(`${f.name} is not running, so ${f.file} on its volume could not be removed`);
          return;
        }
        await execOk(f.name, ["rm", "-f", f.file]);
      });
      return notes.length === 0 ? undefined : notes.join("; ");
    },
    leftover: () =>
      leftoversOf(fills, async (f) => {
        const s = (await inspect(f.name)).State;
        if (!s.Running) return f.tmpfs ? undefined : `cannot check ${f.file}: ${f.name} is not running`;
        const r = await docker.exec(f.name, ["test", "-e", f.file]);
        return r.exitCode === 0 ? `${f.file} still in ${f.name}` : undefined;
      }),
  };
};
