// A system description from a file (YAML or JSON, given by `cp3 run --system FILE` or the stack setting
// `cp3:system`): parsed, validated, and its relative paths (build contexts, migration folders, hot-reload
// sources) made absolute against the file's own folder, so the description means the same from anywhere.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { TestbedSpec } from "./spec";
import { SpecError, validateSpec } from "./validate";

export function loadSpecFile(file: string): TestbedSpec {
  const where = `system description ${file}`;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new SpecError([`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); allowed: a readable YAML or JSON file`], where);
  }
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true });
  } catch (err) {
    throw new SpecError([`${file}: not YAML or JSON: ${(err as Error).message.split("\n")[0]}`], where);
  }
  return resolvePaths(validateSpec(raw, where), path.dirname(path.resolve(file)));
}

/** Relative paths in a description, made absolute against `base`. */
export function resolvePaths(spec: TestbedSpec, base: string): TestbedSpec {
  const abs = (p: string) => path.resolve(base, p);
  return {
    ...spec,
    postgres: { ...spec.postgres, databases: spec.postgres.databases.map((d) => (d.migrations ? { ...d, migrations: abs(d.migrations) } : d)) },
    services: spec.services.map((s) => ({
      ...s,
      image: "build" in s.image ? { build: { ...s.image.build, context: abs(s.image.build.context) } } : s.image,
      hotReload: s.hotReload.map((h) => ({ ...h, source: abs(h.source) })),
    })),
  };
}
