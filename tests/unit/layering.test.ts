// The layering, measured from the imports. cp3 is a library with a command line on top, as testcontainers-node
// is; dependencies point down:
//
//   cli/  ->  pipeline/  ->  chaos/, integrity/, load/, supply-chain/, observability/, security/, lifecycle/  ->  components/, lib/ (and toolchain/ beside lib/)
//
// bench/ sits beside pipeline/; stacks/ is the Pulumi program: its configuration and a system description
// (testbed/) turned into components/; reporting/ renders what the libraries report and imports their types
// (types live with their owner). Every relative import specifier of
// every .ts file (import, export ... from, import(), require()) is checked against the rules below; a failure
// names the file, the import and the rule.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";

interface Rule {
  /** Top-level folders whose files the rule applies to ("*": every folder but cli/ and tests/). */
  from: string[] | "*";
  /** The only folders these files may import from (their own included), or... */
  onlyFrom?: string[];
  /** ...folders they must not import from. */
  notFrom?: string[];
  /** Files of a forbidden folder that may still be imported (project-relative). */
  except?: string[];
  why: string;
}

const RULES: Rule[] = [
  { from: "*", notFrom: ["cli"], why: "cli/ only parses arguments and calls the libraries: nothing outside it imports it" },
  { from: ["tests"], notFrom: ["cli"], except: ["cli/args.ts", "cli/main.ts"], why: "tests import cli/ only to test the command line itself; the stack lifecycle is lifecycle/'s" },
  { from: ["lib"], onlyFrom: ["lib"], why: "lib/ is the bottom layer" },
  { from: ["toolchain"], onlyFrom: ["toolchain", "lib"], why: "toolchain/ is low-level infrastructure beside lib/" },
  { from: ["components"], onlyFrom: ["components", "lib"], why: "a Pulumi component builds on other components and lib/ only" },
  { from: ["stacks"], onlyFrom: ["stacks", "testbed", "components", "cluster", "lib"], why: "the Pulumi program reads its configuration and a system description (testbed/) and declares components (on the local cluster: its kubeconfig and containerd socket)" },
  { from: ["lifecycle"], onlyFrom: ["lifecycle", "cluster", "lib", "toolchain"], why: "the stack lifecycle is a library under the pipeline (the orphan sweep also stops an orphaned cluster)" },
  { from: ["cluster"], onlyFrom: ["cluster", "lib", "toolchain"], why: "the single-node cluster is a library beside lifecycle/, on lib/ and its toolchain" },
  { from: ["chaos", "integrity", "load", "supply-chain", "observability", "security"], notFrom: ["pipeline"], why: "the chaos, integrity, load, supply-chain, observability and security libraries sit under the pipeline that drives them" },
  { from: ["chaos", "integrity", "load", "supply-chain", "observability", "security"], notFrom: ["reporting"], why: "types live with their owner; reporting imports them, not the other way round" },
  { from: ["supply-chain"], onlyFrom: ["supply-chain", "components", "lib", "toolchain"], why: "the supply-chain scan reads images through lib/'s engine client; it knows the testbed only by its outputs' type" },
  { from: ["reporting"], notFrom: ["pipeline"], why: "reporting renders what a run found; the pipeline calls it" },
];

/**
 * Imports that break a rule today and are known, each to be removed by the work named. The list only shrinks:
 * an entry that no longer matches any import fails the test (take it out), and MAX_EXCEPTIONS goes down with it.
 */
const KNOWN_EXCEPTIONS: { from: string; to: string; why: string }[] = [
  {
    from: "stacks",
    to: "toolchain/rootfs.ts",
    why: "the program takes the Debian root image's tag (baseRootImage) from set-up's code; it is to come from lib/ or the program's inputs (issue 12, the Testbed component's work)",
  },
  {
    from: "components",
    to: "testbed/spec.ts",
    why: "the Testbed component's argument types are the system description's (ServiceSpec, TestbedSpec, WiredValue); they are to live with the component, or the description below components/ (issue 12)",
  },
];
const MAX_EXCEPTIONS = 2;

interface SourceFile {
  /** Project-relative, with / separators. */
  rel: string;
  text: string;
}

const SKIPPED_DIRS = new Set(["node_modules", "report"]);

function sourceFiles(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(c|m)?ts$/.test(entry.name)) out.push({ rel: path.relative(root, full).split(path.sep).join("/"), text: fs.readFileSync(full, "utf8") });
    }
  };
  walk(root);
  return out;
}

const layerOf = (rel: string) => (rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : "");

/** The file an import names, project-relative: with its .ts (or /index.ts) when the tree has one. */
function resolve(fromRel: string, specifier: string, exists: (rel: string) => boolean): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), specifier));
  return [base, `${base}.ts`, `${base}/index.ts`].find(exists) ?? base;
}

interface Violation {
  file: string;
  specifier: string;
  target: string;
  why: string;
}

function breaks(rule: Rule, fromLayer: string, target: string): boolean {
  const applies = rule.from === "*" ? !["cli", "tests"].includes(fromLayer) : rule.from.includes(fromLayer);
  if (!applies || rule.except?.includes(target)) return false;
  const to = layerOf(target);
  if (rule.onlyFrom) return !rule.onlyFrom.includes(to);
  return rule.notFrom!.includes(to);
}

/** Every relative import of the files that breaks a rule. */
function violations(files: SourceFile[], exists: (rel: string) => boolean): Violation[] {
  const found: Violation[] = [];
  for (const f of files) {
    for (const ref of ts.preProcessFile(f.text, true, true).importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const target = resolve(f.rel, ref.fileName, exists);
      for (const rule of RULES) {
        if (breaks(rule, layerOf(f.rel), target)) found.push({ file: f.rel, specifier: ref.fileName, target, why: rule.why });
      }
    }
  }
  return found;
}

const isKnown = (v: Violation) => KNOWN_EXCEPTIONS.some((e) => layerOf(v.file) === e.from && v.target === e.to);
const describeViolation = (v: Violation) => `${v.file} imports "${v.specifier}" (${v.target}): ${v.why}`;

describe("layering", () => {
  const files = sourceFiles(projectRoot);
  const exists = (rel: string) => fs.existsSync(path.join(projectRoot, rel)) && fs.statSync(path.join(projectRoot, rel)).isFile();
  const all = violations(files, exists);

  it("reads every source file of the project", () => {
    const layers = new Set(files.map((f) => layerOf(f.rel)));
    for (const layer of ["cli", "pipeline", "lifecycle", "chaos", "lib", "toolchain", "components", "stacks", "tests"]) expect(layers, layer).toContain(layer);
  });

  it("has every import pointing down (known exceptions aside)", () => {
    expect(all.filter((v) => !isKnown(v)).map(describeViolation)).toEqual([]);
  });

  it("keeps the list of known exceptions only as long as it must be", () => {
    expect(KNOWN_EXCEPTIONS.length).toBeLessThanOrEqual(MAX_EXCEPTIONS);
    const stale = KNOWN_EXCEPTIONS.filter((e) => !all.some((v) => layerOf(v.file) === e.from && v.target === e.to));
    expect(stale.map((e) => `${e.from}/ -> ${e.to} is no longer imported: remove it from KNOWN_EXCEPTIONS and lower MAX_EXCEPTIONS`)).toEqual([]);
  });

  it("loads the command line without the workload's dependencies: a fresh clone's CLI starts before they are installed", () => {
    // The files cli/main.ts reaches through imports that run at load (not `import type`, not `import()`).
    const byRel = new Map(files.map((f) => [f.rel, f]));
    const reached = new Set<string>();
    const visit = (rel: string) => {
      if (reached.has(rel) || !byRel.has(rel)) return;
      reached.add(rel);
      const source = ts.createSourceFile(rel, byRel.get(rel)!.text, ts.ScriptTarget.Latest);
      for (const st of source.statements) {
        const typeOnly = (ts.isImportDeclaration(st) && st.importClause?.isTypeOnly) || (ts.isExportDeclaration(st) && st.isTypeOnly);
        const spec = (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
        if (spec?.startsWith(".") && !typeOnly) visit(resolve(rel, spec, exists));
      }
    };
    visit("cli/main.ts");
    expect(reached.size).toBeGreaterThan(50);
    expect([...reached].filter((rel) => rel.startsWith("workload/"))).toEqual([]);
  });

  it("catches every form of import, and names the file and the import", () => {
    const fake = (rel: string, text: string): SourceFile => ({ rel, text });
    const found = violations(
      [
        fake("lib/a.ts", 'import { x } from "../cli/args";\nimport type { Y } from "../pipeline/run";\nexport { z } from "./b";'),
        fake("chaos/c.ts", 'export * from "../pipeline/options";\nconst m = require("../reporting/model");\nvoid import("../load/plan");'),
        fake("components/d.ts", 'import * as pulumi from "@pulumi/pulumi";\nimport { paths } from "../lib/paths";\nimport { t } from "../toolchain/rootfs";'),
        fake("tests/unit/e.test.ts", 'import { parseVerbArgs } from "../../cli/args";\nimport { openStack } from "../../cli/stacks";'),
        fake("examples/f.ts", 'import { openStack } from "../cli/stacks";'),
        fake("cli/verbs/g.ts", 'import { runCp3 } from "../../pipeline/run";'),
      ],
      (rel) => rel.endsWith(".ts"),
    ).map((v) => `${v.file}: ${v.specifier} -> ${v.target}`);
    expect(found).toEqual([
      "lib/a.ts: ../cli/args -> cli/args.ts",
      "lib/a.ts: ../cli/args -> cli/args.ts",
      "lib/a.ts: ../pipeline/run -> pipeline/run.ts",
      "chaos/c.ts: ../pipeline/options -> pipeline/options.ts",
      "chaos/c.ts: ../reporting/model -> reporting/model.ts",
      "components/d.ts: ../toolchain/rootfs -> toolchain/rootfs.ts",
      "tests/unit/e.test.ts: ../../cli/stacks -> cli/stacks.ts",
      "examples/f.ts: ../cli/stacks -> cli/stacks.ts",
    ]);
  });
});
