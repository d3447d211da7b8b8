// The safety net for a run that died mid-fault (SIGKILL, a crash, a power cut): removes everything a fault
// of ours can leave, recognised by the cp3-chaos- tag, from every container of the stack. Safe to run any
// time: it never touches a rule, qdisc, toxic, file or process without our tag (and handle c3:).
import * as docker from "../lib/docker-api";
import { cmdline, pgid, processes } from "./cgroup";
import { inspect, waitRunning } from "./engine";
import { deleteQdisc, deleteTagged, ourQdisc, TAG_PREFIX } from "./netns";
import { inNetnsOk } from "./host";
import { allContainers } from "./targets";
import * as toxiproxy from "./toxiproxy-api";
import type { ChaosTargets } from "./types";

/** Removes our leftovers; returns one line per thing removed or found wrong (empty when all was clean). */
export async function sweep(t: ChaosTargets): Promise<string[]> {
  const found: string[] = [];
  const note = (line: string) => found.push(line);
  for (const name of allContainers(t)) {
    try {
      let i = await inspect(name);
      if (i.State.Paused) {
        await docker.unpauseContainer(name);
        note(`${name}: unpaused`);
      }
      if (!i.State.Running) {
        await docker.startContainer(name);
        note(`${name}: started (it was ${i.State.Status})`);
        if ((await waitRunning(name, 30_000)) === undefined) throw new Error("not running 30 s after start");
      }
      i = await inspect(name);
      const pid = i.State.Pid;
      const rules = await deleteTagged(pid, TAG_PREFIX);
      if (rules > 0) note(`${name}: ${rules} iptables rules removed`);
      const devs = (await inNetnsOk(pid, "ip", ["-o", "link", "show"])).split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0]).filter((d): d is string => !!d);
      for (const dev of devs) {
        if ((await ourQdisc(pid, dev)) === undefined) continue;
        await deleteQdisc(pid, dev);
        note(`${name}: tbf qdisc removed from ${dev}`);
      }
      // Tagged stress processes and their process groups (the pipelines they run do not carry the tag).
      const all = processes(pid);
      const groups = new Set(all.filter((p) => cmdline(p).includes(TAG_PREFIX)).map(pgid).filter((g): g is number => g !== undefined));
      const stress = all.filter((p) => groups.has(pgid(p) ?? -1));
      for (const p of stress) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // already gone
        }
      }
      if (stress.length > 0) note(`${name}: ${stress.length} stress processes killed`);
      const mounts = [...Object.keys(i.HostConfig.Tmpfs ?? {}), ...i.Mounts.filter((m) => m.RW && m.Type !== "bind").map((m) => m.Destination)];
      if (mounts.length > 0) {
        const r = await docker.exec(name, ["sh", "-c", 'for m in "$@"; do for f in "$m"/.cp3-chaos-*.fill; do [ -e "$f" ] && rm -f "$f" && echo "$f"; done; done; true', "sweep", ...mounts]);
        for (const f of r.output.trim().split("\n").filter(Boolean)) note(`${name}: fill file ${f} removed`);
      }
    } catch (err) {
      note(`${name}: could not be swept: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    for (const p of Object.values(await toxiproxy.proxies(t.toxiproxyUrl))) {
      for (const x of p.toxics.filter((x) => x.name.startsWith(TAG_PREFIX))) {
        await toxiproxy.removeToxic(t.toxiproxyUrl, p.name, x.name);
        note(`toxiproxy: toxic ${x.name} removed from ${p.name}`);
      }
    }
  } catch (err) {
    note(`toxiproxy: could not be swept: ${err instanceof Error ? err.message : String(err)}`);
  }
  return found;
}
