// A small Prometheus exporter of the testbed's containers' CPU and memory, read from the kernel's cgroups, which
// the engine sets up per container: the host's /sys/fs/cgroup is mounted read-only at CGROUP_ROOT, and
// CONTAINERS names each container (JSON: [{name, id, component}]). No engine socket: that would hand the
// exporter the whole engine. Plain Node.js, no dependencies. cgroup v1 and v2, with the cgroupfs or the systemd
// driver. A container whose cgroup is not found (stopped, or between a kill and its restart) gets
// container_cgroup_found 0 and nothing else; a restart starts its CPU counter again, which rate() and
// increase() take as a counter reset.
import * as fs from "node:fs";
import * as http from "node:http";

const root = process.env.CGROUP_ROOT ?? "/host/cgroup";
const port = Number(process.env.EXPORTER_PORT ?? "9106");
const containers = JSON.parse(process.env.CONTAINERS ?? "[]");
if (!Array.isArray(containers) || containers.length === 0) throw new Error("CONTAINERS is empty: give [{name, id, component}] of the containers to watch");

const v2 = fs.existsSync(`${root}/cgroup.controllers`);
const read = (file) => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};
const field = (text, key) => {
  const m = new RegExp(`^${key} (\\d+)$`, "m").exec(text ?? "");
  return m ? Number(m[1]) : undefined;
};

/** The container's directory under a controller (v1) or the unified tree (v2), for either cgroup driver. */
function dirOf(id, controller) {
  const base = v2 ? root : `${root}/${controller}`;
  for (const dir of [`${base}/docker/${id}`, `${base}/system.slice/docker-${id}.scope`]) if (fs.existsSync(dir)) return dir;
  return undefined;
}

function usage(id) {
  if (v2) {
    const dir = dirOf(id, "");
    if (!dir) return undefined;
    const cpu = field(read(`${dir}/cpu.stat`), "usage_usec");
    const stat = read(`${dir}/memory.stat`);
    const current = Number(read(`${dir}/memory.current`));
    if (cpu === undefined || !Number.isFinite(current)) return undefined;
    return { cpuSeconds: cpu / 1e6, workingSet: Math.max(0, current - (field(stat, "inactive_file") ?? 0)), rss: field(stat, "anon") };
  }
  const cpuDir = dirOf(id, "cpuacct");
  const memDir = dirOf(id, "memory");
  if (!cpuDir || !memDir) return undefined;
  const cpu = Number(read(`${cpuDir}/cpuacct.usage`));
  const stat = read(`${memDir}/memory.stat`);
  const current = Number(read(`${memDir}/memory.usage_in_bytes`));
  if (!Number.isFinite(cpu) || !Number.isFinite(current)) return undefined;
  // The working set as the kubelet counts it: usage less the inactive page cache the kernel can drop at once.
  return { cpuSeconds: cpu / 1e9, workingSet: Math.max(0, current - (field(stat, "total_inactive_file") ?? 0)), rss: field(stat, "total_rss") };
}

const escape = (v) => String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const FAMILIES = [
  ["container_cgroup_found", "gauge", "1 when the container's cgroup was found (it is running)"],
  ["container_cpu_usage_seconds_total", "counter", "CPU time the container's processes used"],
  ["container_memory_working_set_bytes", "gauge", "Memory in use less the inactive page cache (tmpfs included)"],
  ["container_memory_rss_bytes", "gauge", "Anonymous resident memory"],
];

function render() {
  const samples = new Map(FAMILIES.map(([name]) => [name, []]));
  for (const c of containers) {
    const labels = `container="${escape(c.name)}",component="${escape(c.component)}"`;
    const u = usage(c.id);
    samples.get("container_cgroup_found").push(`container_cgroup_found{${labels}} ${u ? 1 : 0}`);
    if (!u) continue;
    samples.get("container_cpu_usage_seconds_total").push(`container_cpu_usage_seconds_total{${labels}} ${u.cpuSeconds}`);
    samples.get("container_memory_working_set_bytes").push(`container_memory_working_set_bytes{${labels}} ${u.workingSet}`);
    if (u.rss !== undefined) samples.get("container_memory_rss_bytes").push(`container_memory_rss_bytes{${labels}} ${u.rss}`);
  }
  return FAMILIES.map(([name, type, help]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.get(name).join("\n")}\n`).join("");
}

http
  .createServer((req, res) => {
    if (req.url === "/healthz") {
      // Healthy once the cgroup tree is where it was mounted: without it every container would read as stopped.
      const ok = v2 ? fs.existsSync(`${root}/cgroup.controllers`) : fs.existsSync(`${root}/cpuacct`) && fs.existsSync(`${root}/memory`);
      res.writeHead(ok ? 200 : 503).end(ok ? "ok\n" : `no cgroup tree at ${root}\n`);
      return;
    }
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(render());
  })
  .listen(port, "0.0.0.0");
