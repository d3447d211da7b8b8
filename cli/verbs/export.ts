// export compose: a stack's testbed as a Docker Compose file; export dashboards: its dashboard for Grafana (the
// library is export/).
import * as fs from "node:fs";
import * as path from "node:path";
import type { Parsed, VerbSpec } from "../args";
import { composeFromTestbed, composeSecretFiles, composeYaml, SECRETS_FOLDER } from "../../export/compose";
import { defaultComposeFile, describedSystem, readStackForExport, writeComposeExport } from "../../export/stack";
import { dashboardOf } from "../../export/grafana";
import { projectRoot } from "../../lib/paths";
import { parseConfig } from "../../stacks/config";
import { EXIT } from "../../lib/exit-codes";
import { say } from "../../lib/progress";
import { UsageError } from "../../lib/usage-error";
import { checkStackName, openStack } from "../../lifecycle/stacks";
import { ensureToolchain } from "./setup";

const FORMATS = ["compose", "dashboards"];

export const exportSpec: VerbSpec = {
  name: "export",
  summary: "export compose --stack S: write a Docker Compose file of the stack's testbed (its description, settings and built images), its secrets as files in secrets/ beside it. export dashboards --stack S: write the report's panels (RED per service, JetStream, PostgreSQL, the system's own) as a Grafana dashboard (JSON) for your own Grafana.",
  flags: {
    stack: { type: "string", placeholder: "S", description: "stack: ci, ci-<suffix>, dev or staging; for compose it must have been up (its images are used), for dashboards only its configuration is read" },
    out: { type: "string", placeholder: "FILE", description: "the file to write (default: .cp3/compose/<stack>/docker-compose.yml, with secrets/ beside it; for dashboards .cp3/dashboards/<stack>.json)" },
    "entry-port": { type: "string", placeholder: "N", description: "host port of the entry on 127.0.0.1 (default: the stack's cp3:gateway.hostPort; 0 lets the engine pick)" },
  },
  required: ["stack"],
  passThrough: true,
};

export async function runExport(parsed: Parsed): Promise<number> {
  const [format, ...extra] = parsed.rest;
  if (format === undefined || !FORMATS.includes(format) || extra.length > 0) {
    throw new UsageError(`export: got ${JSON.stringify(parsed.rest.join(" "))}; accepted: ${FORMATS.join(", ")} (npm run cp3 -- export compose --stack S [--out FILE] [--entry-port N], or export dashboards --stack S [--out FILE])`);
  }
  const name = String(parsed.values.stack);
  checkStackName(name);
  if (format === "dashboards") return exportDashboards(name, parsed);
  const port = parsed.values["entry-port"];
  const entryHostPort = port === undefined ? undefined : /^\d{1,5}$/.test(String(port)) && Number(port) <= 65_535 ? Number(port) : NaN;
  if (Number.isNaN(entryHostPort)) throw new UsageError(`--entry-port: got ${JSON.stringify(port)}; allowed: 0 (engine-picked) or a port up to 65535`);
  const out = typeof parsed.values.out === "string" && parsed.values.out !== "" ? parsed.values.out : defaultComposeFile(name);

  const toolchain = await ensureToolchain();
  const stack = await openStack(name, toolchain, { create: false });
  const source = await readStackForExport(stack);
  const compose = composeFromTestbed({ stack: name, spec: source.spec, settings: source.config, outputs: { images: source.images }, entryHostPort, imageHealthchecks: source.imageHealthchecks });
  const header = [
    `The testbed of stack ${name} (system "${source.spec.name}"), written by \`npm run cp3 -- export compose --stack ${name}\`.`,
    `Secrets are files in ${SECRETS_FOLDER}/ beside this file, mounted in /run/secrets, never variables. Images are the stack's local builds.`,
    ...(source.tls ? ["Clients reach NATS and PostgreSQL over TLS, verifying a CA made for this export (secrets/tls-ca), not the stack's."] : []),
    "Start it under a project name of its own: docker-compose -p NAME up -d; remove it with: docker-compose -p NAME down -v",
  ].join("\n");
  const written = writeComposeExport(out, composeYaml(compose, header), composeSecretFiles(source.password, source.tls));
  say(`export compose ${name}: ${Object.keys(compose.services).length} services in ${written.file}; the secrets in ${written.secrets}/ (folder mode 0700)`);
  process.stdout.write(`${written.file}\n`);
  return EXIT.ok;
}

/** The stack's description (from its configuration; the stack need not be up) as a Grafana dashboard. */
async function exportDashboards(name: string, parsed: Parsed): Promise<number> {
  if (parsed.values["entry-port"] !== undefined) throw new UsageError("--entry-port: only for export compose");
  const out = typeof parsed.values.out === "string" && parsed.values.out !== "" ? path.resolve(parsed.values.out) : path.join(projectRoot, ".cp3", "dashboards", `${name}.json`);
  const stack = await openStack(name, await ensureToolchain(), { create: false });
  const all = Object.fromEntries(Object.entries(await stack.getAllConfig()).map(([k, v]) => [k, v.value]));
  const dashboard = dashboardOf(describedSystem(parseConfig(all, name)), name);
  const panels = dashboard.panels.filter((p) => p.type !== "row");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(dashboard, null, 2) + "\n");
  say(`export dashboards ${name}: ${panels.length} panels in ${out}; import it in Grafana and pick your Prometheus`);
  process.stdout.write(`${out}\n`);
  return EXIT.ok;
}
