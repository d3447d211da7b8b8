// export compose: a stack's testbed as a Docker Compose file (the library is export/).
import type { Parsed, VerbSpec } from "../args";
import { composeFromTestbed, composeSecretFiles, composeYaml, SECRETS_FOLDER } from "../../export/compose";
import { defaultComposeFile, readStackForExport, writeComposeExport } from "../../export/stack";
import { EXIT } from "../../lib/exit-codes";
import { say } from "../../lib/progress";
import { UsageError } from "../../lib/usage-error";
import { checkStackName, openStack } from "../../lifecycle/stacks";
import { ensureToolchain } from "./setup";

const FORMATS = ["compose"];

export const exportSpec: VerbSpec = {
  name: "export",
  summary: "export compose --stack S: write a Docker Compose file of the stack's testbed (its description, settings and built images), its secrets as files in secrets/ beside it.",
  flags: {
    stack: { type: "string", placeholder: "S", description: "stack: ci, ci-<suffix>, dev or staging; it must have been up (its images are used)" },
    out: { type: "string", placeholder: "FILE", description: "the Compose file to write (default: .cp3/compose/<stack>/docker-compose.yml); .env goes beside it" },
    "entry-port": { type: "string", placeholder: "N", description: "host port of the entry on 127.0.0.1 (default: the stack's cp3:gateway.hostPort; 0 lets the engine pick)" },
  },
  required: ["stack"],
  passThrough: true,
};

export async function runExport(parsed: Parsed): Promise<number> {
  const [format, ...extra] = parsed.rest;
  if (format === undefined || !FORMATS.includes(format) || extra.length > 0) {
    throw new UsageError(`export: got ${JSON.stringify(parsed.rest.join(" "))}; accepted: ${FORMATS.join(", ")} (npm run cp3 -- export compose --stack S [--out FILE] [--entry-port N])`);
  }
  const name = String(parsed.values.stack);
  checkStackName(name);
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
