// The licence guard. Project rule: nothing under the AGPL, the GPL (the LGPL is fine) or the SSPL may be built,
// vendored or linked. This file finds the licence of every Go module in a toolchain wrapper's go.sum and of every
// npm package in a package-lock.json, and of the main module of each built tool (for `setup --check`).
// node: built-ins only; the Go side needs `go` on PATH (and the Go module proxy for modules not in the cache).
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

// ---------------------------------------------------------------------------------------------------------------
// Classifying a licence file's text

interface Hit {
  id: string;
  at: number;
}

const ver = (v: string | undefined, fallback: string): string => (v === undefined ? fallback : v.includes(".") ? v : `${v}.0`);

/** Where the conditions of a BSD licence found at `at` end: at its disclaimer, or 1,500 characters on. */
function bsdVariant(flat: string, at: number): string {
  const end = flat.slice(at).search(/THIS SOFTWARE IS PROVIDED/i);
  const body = flat.slice(at, end > 0 ? at + end : at + 1500);
  if (/advertising materials mentioning features/i.test(body)) return "BSD-4-Clause";
  return /neither the name|may not be used to endorse|be used to endorse or promote/i.test(body) ? "BSD-3-Clause" : "BSD-2-Clause";
}

// Each rule finds the title or the grant wording of one licence in the text with its whitespace collapsed. The GPL
// family is matched by its upper-case titles ("GNU GENERAL PUBLIC LICENSE") or by grant notices ("under the terms
// of the GNU General Public License"), never by a bare mention: the MPL-2.0 text names the GPL, LGPL and AGPL as
// "Secondary Licenses", and Apache NOTICE texts often name the GPL without anything being under it.
const RULES: Array<[RegExp, (m: RegExpExecArray, flat: string) => string]> = [
  [/GNU AFFERO GENERAL PUBLIC LICENSE(?:\W{0,20}Version (\d))?/g, (m) => `AGPL-${ver(m[1], "3.0")}`],
  [/(?:under|of) the terms of the GNU Affero General Public License/gi, () => "AGPL-3.0"],
  [/GNU LESSER GENERAL PUBLIC LICENSE(?:\W{0,20}Version (\d(?:\.\d)?))?/g, (m) => (m[1] === undefined ? "LGPL" : `LGPL-${ver(m[1], "")}`)],
  [/GNU LIBRARY GENERAL PUBLIC LICENSE/g, () => "LGPL-2.0"],
  [
    /(?:under|of) the terms of the GNU (Lesser|Library) General Public License(?:[^.]{0,80}?\bversion (\d(?:\.\d)?))?/gi,
    (m) => (m[2] !== undefined ? `LGPL-${ver(m[2], "")}` : /library/i.test(m[1]) ? "LGPL-2.0" : "LGPL"),
  ],
  [/GNU GENERAL PUBLIC LICENSE(?:\W{0,20}Version (\d))?/g, (m) => (m[1] === undefined ? "GPL" : `GPL-${ver(m[1], "")}`)],
  [/(?:under|of) the terms of the GNU General Public License(?:[^.]{0,80}?\bversion (\d))?/gi, (m) => (m[1] === undefined ? "GPL" : `GPL-${ver(m[1], "")}`)],
  [/Server Side Public License,? VERSION (\d)/gi, (m) => `SSPL-${ver(m[1], "1.0")}`],
  [/(?:under|of) the terms of the Server Side Public License/gi, () => "SSPL-1.0"],
  [/Mozilla Public License,? (?:Version|v\.?) ?(\d\.\d)/gi, (m) => `MPL-${m[1]}`],
  [/Apache License,? Version 2\.0/gi, () => "Apache-2.0"],
  [/Apache Software License,? Version 1\.1/gi, () => "Apache-1.1"],
  [/Permission is hereby granted, free of charge, to any person obtaining a copy/gi, () => "MIT"],
  [/\bThe MIT License\b|\blicensed under the MIT license\b/gi, () => "MIT"],
  [
    /Redistribution and use in source and binary forms, with or without modification, are permitted provided that the following conditions are met/gi,
    (m, flat) => bsdVariant(flat, m.index),
  ],
  [/Permission to use, copy, modify, and(?:\/or)? distribute this software for any purpose with or without fee is hereby granted/gi, () => "ISC"],
  [/This is free and unencumbered software released into the public domain/gi, () => "Unlicense"],
  [/\bCC0 1\.0 Universal\b/g, () => "CC0-1.0"],
  [/Attribution 4\.0 International/g, () => "CC-BY-4.0"],
  [/Attribution-ShareAlike 4\.0 International/g, () => "CC-BY-SA-4.0"],
  [/Boost Software License - Version 1\.0/gi, () => "BSL-1.0"],
  [/Blue ?Oak Model License/gi, () => "BlueOak-1.0.0"],
  [/Eclipse Public License[ -]+v(?:ersion)? ?(\d\.\d)/gi, (m) => `EPL-${m[1]}`],
  [/This software is provided 'as-is', without any express or implied warranty/gi, () => "Zlib"],
];

/** Words before the first licence (or right before one) that make several licences a choice: A OR B. */
const CHOICE_BEFORE = /\bat your (?:option|choice)\b|\bdual[- ]licen[cs]ed\b|\beither\b|\bchoose\b|\bOR\b/;
const CHOICE_AT = /\balternatively\b|\bat your (?:option|choice)\b/i;
/** …or after the last one ("Apache-2.0 (…) or the MIT license (…), at your option"), but not the GPL's "(at your
 * option) any later version". */
const CHOICE_AFTER = /\bat your (?:option|choice)\b(?!\)? any later)/i;

/**
 * The licence of a LICENSE/COPYING file, as an SPDX-like id ("Apache-2.0", "GPL-3.0", "LGPL-2.1", "SSPL-1.0") or
 * "unknown". A file with several licence texts gives an expression: "A OR B" when the text offers a choice (dual
 * licensing: "at your option", "either", "alternatively"), otherwise "A AND B" (e.g. a licence followed by the
 * licences of vendored code), so a GPL text anywhere in the file counts unless it is offered as an alternative.
 * An LGPL text carries the GPL text it builds on (LGPL-3.0, COPYING + COPYING.LESSER): the LGPL wins over it.
 * An "SPDX-License-Identifier:" line in the file is taken as written.
 */
export function classifyLicenceText(text: string): string {
  const spdx = /SPDX-License-Identifier:\s*([\w.+\-() ]+?)\s*(?:`|\*\/|-->|$)/m.exec(text);
  if (spdx) return spdx[1];
  // Quote and comment markers at line starts ("> Redistribution and use…", "// Permission is…") would split phrases.
  const flat = text.replace(/^[ \t]*(?:(?:>|#+|\*+|\/\/+|--)[ \t]*)+/gm, "").replace(/\s+/g, " ");
  const hits: Hit[] = [];
  for (const [re, id] of RULES) {
    for (const m of flat.matchAll(re)) hits.push({ id: id(m as RegExpExecArray, flat), at: m.index });
  }
  if (hits.length === 0) return "unknown";
  hits.sort((a, b) => a.at - b.at);
  let ids = [...new Set(hits.map((h) => h.id))];
  // "GPL" (a title without its version, e.g. "GNU GENERAL PUBLIC LICENSE TERMS AND CONDITIONS") adds nothing
  // when the versioned title is there too.
  ids = ids.filter((id) => !(/^(?:A|L)?GPL$/.test(id) && ids.some((o) => o.startsWith(`${id}-`))));
  if (ids.some((id) => id.startsWith("LGPL"))) ids = ids.filter((id) => !/^GPL\b/.test(id));
  if (ids.length === 1) return ids[0];
  const first = hits[0].at;
  const last = hits[hits.length - 1].at;
  const choice =
    CHOICE_BEFORE.test(flat.slice(Math.max(0, first - 1000), first)) ||
    hits.some((h) => h.at > first && CHOICE_AT.test(flat.slice(Math.max(0, h.at - 120), h.at))) ||
    CHOICE_AFTER.test(flat.slice(last, last + 300));
  return ids.join(choice ? " OR " : " AND ");
}

/** A licence named in a README's "License" section ("MIT", "Apache 2.0"), or "unknown". */
export function classifyLicenceName(text: string): string {
  const byText = classifyLicenceText(text);
  if (byText !== "unknown") return byText;
  const names: Array<[RegExp, string]> = [
    [/\bAGPL|\bAffero\b/i, "AGPL-3.0"],
    [/\bLGPL|\bLesser General Public\b/i, "LGPL"],
    [/\bGPL|\bGeneral Public License\b/i, "GPL"],
    [/\bSSPL\b|\bServer Side Public\b/i, "SSPL-1.0"],
    [/\bApache\b[- ]?(?:License)?,?[- ]?(?:Version |v)?2(?:\.0)?\b/i, "Apache-2.0"],
    [/\bMPL[- ]?2\.0\b|\bMozilla Public License\b/i, "MPL-2.0"],
    [/\bBSD[- ]?3\b|\b3-clause BSD\b/i, "BSD-3-Clause"],
    [/\bBSD[- ]?2\b|\b2-clause BSD\b/i, "BSD-2-Clause"],
    [/\bISC\b/, "ISC"],
    [/\bMIT\b/, "MIT"],
  ];
  const found = names.filter(([re]) => re.test(text)).map(([, id]) => id);
  return found.length === 1 ? found[0] : "unknown";
}

// ---------------------------------------------------------------------------------------------------------------
// Forbidden or not

const LEAF_FORBIDDEN = /\bA?GPL|\bSSPL\b|\bAffero\b|\bGeneral Public Licen[cs]e\b|\bServer Side Public\b/i;
const LEAF_ALLOWED_GPL = /\bLGPL|\bLesser\b|\bLibrary General\b/i;

function leafForbidden(id: string): boolean {
  if (LEAF_ALLOWED_GPL.test(id)) return false;
  return LEAF_FORBIDDEN.test(id) || /^A?GPL/i.test(id);
}

type Expr = { leaf: string } | { op: "AND" | "OR"; args: Expr[] };

/** Parses an SPDX expression ("(MIT OR GPL-3.0)", "GPL-2.0 WITH Classpath-exception-2.0"); undefined if it is not one. */
function parseSpdx(text: string): Expr | undefined {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i]?.toUpperCase();
  const primary = (): Expr | undefined => {
    if (peek() === "(") {
      i++;
      const e = orExpr();
      if (peek() !== ")") return undefined;
      i++;
      return e;
    }
    const t = tokens[i];
    if (t === undefined || t === ")" || ["AND", "OR", "WITH"].includes(t.toUpperCase()) || !/^[\w.+:-]+$/.test(t)) return undefined;
    i++;
    if (peek() === "WITH") {
      i++;
      if (tokens[i] === undefined) return undefined;
      i++;
    }
    return { leaf: t };
  };
  const chain = (op: "AND" | "OR", next: () => Expr | undefined) => (): Expr | undefined => {
    const first = next();
    if (!first) return undefined;
    const args = [first];
    while (peek() === op) {
      i++;
      const e = next();
      if (!e) return undefined;
      args.push(e);
    }
    return args.length === 1 ? first : { op, args };
  };
  const andExpr = chain("AND", primary);
  const orExpr: () => Expr | undefined = chain("OR", andExpr);
  const e = orExpr();
  return e && i === tokens.length ? e : undefined;
}

function exprForbidden(e: Expr): boolean {
  if ("leaf" in e) return leafForbidden(e.leaf);
  // A choice is fine when one branch is; a conjunction is not when any part is forbidden.
  return e.op === "OR" ? e.args.every(exprForbidden) : e.args.some(exprForbidden);
}

/**
 * Whether a licence (an SPDX id or expression, a classifier result, or an npm `license` field) is forbidden:
 * AGPL, GPL (not LGPL) or SSPL. `A OR B` is allowed when either side is; `A AND B` is forbidden when either side
 * is. "unknown", "SEE LICENSE IN …" (resolve the file first) and empty strings are not forbidden: list them.
 */
export function forbidden(spdxOrClass: string): boolean {
  const text = spdxOrClass.trim();
  if (text === "" || /^unknown\b/i.test(text) || /^SEE LICEN[CS]E IN\b/i.test(text)) return false;
  const expr = parseSpdx(text);
  // Free text ("GNU GPL v3 or later", "Dual MIT/GPL"): forbidden when it names a forbidden licence at all.
  if (!expr) return leafForbidden(text);
  return exprForbidden(expr);
}

// ---------------------------------------------------------------------------------------------------------------
// Licence files of a folder

const LICENCE_FILE = /^(?:licen[cs]e|copying|unlicense)(?:[-._][\w.-]*)?$/i;

export interface FolderLicence {
  licence: string;
  /** The files it was read from (names inside the folder). */
  files: string[];
  note?: string;
}

const leaves = (expr: string) => expr.replace(/[()]/g, " ").split(/\s+(?:AND|OR)\s+|\s+/).filter((x) => x !== "");

/**
 * Combines the licences of several files of one package. Every file applies (AND), flattened ("A AND B" plus "A"
 * is "A AND B"), except that a choice ("Apache-2.0 OR MIT") stands alone when the other files only hold the texts
 * of its choices (LICENSE + LICENSE-APACHE + LICENSE-MIT). A GPL text next to an LGPL text is the LGPL's base.
 */
function combine(results: string[]): string {
  let parts = [...new Set(results.flatMap((r) => (/ OR /.test(r) ? [r] : r.split(" AND "))))];
  if (parts.some((id) => /\bLGPL/.test(id))) parts = parts.filter((id) => !/^GPL[-\w.]*$/.test(id));
  const choice = parts.find((r) => / OR /.test(r) && parts.every((o) => o === r || leaves(o).every((l) => leaves(r).includes(l))));
  if (choice) return choice;
  if (parts.length === 1) return parts[0];
  return parts.map((id) => (/ (?:AND|OR) /.test(id) ? `(${id})` : id)).join(" AND ");
}

/** The licence of a module or package folder, from its top-level LICENSE/LICENCE/COPYING files (any case, any
 * extension), or failing those from the "License" section of its README. */
export function folderLicence(dir: string): FolderLicence {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && LICENCE_FILE.test(e.name) && !/\.(?:go|js|ts|json|py|sh)$/i.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return { licence: "unknown", files: [], note: `${dir} cannot be read` };
  }
  if (names.length > 0) {
    const read = (name: string) => (fs.statSync(path.join(dir, name)).isFile() ? fs.readFileSync(path.join(dir, name), "utf8") : "");
    const per = names.map((name) => ({ name, licence: classifyLicenceText(read(name)) }));
    const known = per.filter((p) => p.licence !== "unknown");
    if (known.length === 0) return { licence: "unknown", files: names, note: `${names.join(", ")} not recognised` };
    const unknown = per.filter((p) => p.licence === "unknown").map((p) => p.name);
    const result: FolderLicence = { licence: combine(known.map((p) => p.licence)), files: known.map((p) => p.name) };
    if (unknown.length > 0) result.note = `also ${unknown.join(", ")} (not recognised)`;
    return result;
  }
  const readme = fs.readdirSync(dir).find((n) => /^readme(?:\.\w+)?$/i.test(n));
  if (readme) {
    const text = fs.readFileSync(path.join(dir, readme), "utf8");
    const section = /^#+\s*licen[cs]es?\b[^\n]*\n([\s\S]*?)(?=^#|(?![\s\S]))/im.exec(text);
    if (section) {
      const licence = classifyLicenceName(section[1]);
      if (licence !== "unknown") return { licence, files: [readme], note: `no licence file; from the README's licence section` };
      return { licence: "unknown", files: [readme], note: `no licence file; README says: ${section[1].trim().replace(/\s+/g, " ").slice(0, 120)}` };
    }
  }
  return { licence: "unknown", files: [], note: "no LICENSE/LICENCE/COPYING file and no licence section in a README" };
}

// ---------------------------------------------------------------------------------------------------------------
// Go modules

/** Module cache path encoding: each upper-case letter becomes "!" and its lower-case form. */
export function escapeModulePath(p: string): string {
  return p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

function goEnv(name: string, env: NodeJS.ProcessEnv): string {
  return execFileSync("go", ["env", name], { env, encoding: "utf8" }).trim();
}

/** The Go module cache (`go env GOMODCACHE`) for this environment. */
export function goModCache(env: NodeJS.ProcessEnv = process.env): string {
  return goEnv("GOMODCACHE", env);
}

/** A module's folder in the module cache (it may not exist). */
export function moduleCacheDir(cache: string, module: string, version: string): string {
  return path.join(cache, `${escapeModulePath(module)}@${escapeModulePath(version)}`);
}

/** Modules with a zip hash line in a go.sum (not the `/go.mod h1:` lines), in file order, each once. */
export function goSumModules(goSum: string): Array<{ module: string; version: string }> {
  const seen = new Set<string>();
  const out: Array<{ module: string; version: string }> = [];
  for (const line of goSum.split("\n")) {
    const [module, version] = line.trim().split(/\s+/);
    if (!module || !version || version.endsWith("/go.mod") || seen.has(`${module}@${version}`)) continue;
    seen.add(`${module}@${version}`);
    out.push({ module, version });
  }
  return out;
}

interface GoModJson {
  Module: { Path: string };
  Require?: Array<{ Path: string; Version: string; Indirect?: boolean }>;
  Replace?: Array<{ Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }>;
}

function goModJson(wrapperDir: string, env: NodeJS.ProcessEnv): GoModJson {
  return JSON.parse(execFileSync("go", ["mod", "edit", "-json"], { cwd: wrapperDir, env, encoding: "utf8" })) as GoModJson;
}

const isLocalPath = (p: string) => p.startsWith("./") || p.startsWith("../") || path.isAbsolute(p);

export interface GoModuleLicence {
  module: string;
  version: string;
  licence: string;
  forbidden: boolean;
  /** The wrapper whose go.sum (or go.mod, for a local replacement) lists it. */
  wrapper: string;
  /** The module's folder (in the module cache, or the local replacement). */
  dir?: string;
  files: string[];
  /** Whether the scan downloaded it (it was not in the module cache). */
  downloaded: boolean;
  /** For forbidden modules: the requirement path from the wrapper's module down to it (`go mod graph`). */
  requiredBy?: string[];
  note?: string;
}

export interface GoScanOptions {
  /** Environment for `go` (GOMODCACHE, GOPROXY, GOFLAGS, …); defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  /** Download modules missing from the module cache (default true); false reports them as unknown. */
  download?: boolean;
}

/** The environment for downloads: GOFLAGS=-mod=mod, and only the module proxy ("direct" would reach VCS hosts). */
function downloadEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const proxies = (env.GOPROXY ?? "https://proxy.golang.org,direct")
    .split(/[,|]/)
    .map((p) => p.trim())
    .filter((p) => p !== "" && p !== "direct");
  return { ...env, GOFLAGS: "-mod=mod", GOPROXY: proxies.length > 0 ? proxies.join(",") : "https://proxy.golang.org", GOTOOLCHAIN: "local" };
}

function runGo(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("go", args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Downloaded {
  Path: string;
  Version: string;
  Dir?: string;
  Error?: string;
}

/** `go mod download -json m@v …` inside the wrapper (so its go.sum checks the hashes); the objects it printed. */
export async function goModDownload(wrapperDir: string, modules: Array<{ module: string; version: string }>, env: NodeJS.ProcessEnv = process.env): Promise<Downloaded[]> {
  const out: Downloaded[] = [];
  // A few hundred arguments per call keep well under the argument length limit.
  for (let i = 0; i < modules.length; i += 200) {
    const batch = modules.slice(i, i + 200).map((m) => `${m.module}@${m.version}`);
    const r = await runGo(["mod", "download", "-json", ...batch], wrapperDir, downloadEnv(env));
    const objects = r.stdout.split(/^\}\s*$/m).filter((s) => s.trim().startsWith("{"));
    for (const o of objects) out.push(JSON.parse(`${o}}`) as Downloaded);
    if (r.code !== 0 && objects.length === 0) {
      for (const b of batch) {
        const at = b.lastIndexOf("@");
        out.push({ Path: b.slice(0, at), Version: b.slice(at + 1), Error: r.stderr.trim().split("\n").slice(-1)[0] ?? `go mod download exited with ${r.code}` });
      }
    }
  }
  return out;
}

/**
 * The requirement path from the wrapper's main module to module@version in `go mod graph`, shortest first. The
 * main module's own `// indirect` requirements are skipped where possible (since Go 1.17 go.mod lists every
 * module of the build, so the shortest path would always be "wrapper → module"): the path shows who needs it.
 */
export async function goRequirementPath(wrapperDir: string, module: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<string[] | undefined> {
  const r = await runGo(["mod", "graph"], wrapperDir, downloadEnv(env));
  if (r.code !== 0) return undefined;
  const edges = new Map<string, string[]>();
  let root: string | undefined;
  for (const line of r.stdout.split("\n")) {
    const [from, to] = line.trim().split(/\s+/);
    if (!from || !to) continue;
    root ??= from;
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  if (root === undefined) return undefined;
  const indirect = new Set((goModJson(wrapperDir, env).Require ?? []).filter((q) => q.Indirect).map((q) => `${q.Path}@${q.Version}`));
  const exact = `${module}@${version}`;
  const search = (skipIndirect: boolean): string[] | undefined => {
    const parent = new Map<string, string>([[root, ""]]);
    const queue = [root];
    let found: string | undefined;
    while (queue.length > 0 && found !== exact) {
      const node = queue.shift()!;
      for (const next of edges.get(node) ?? []) {
        if (parent.has(next) || (skipIndirect && node === root && indirect.has(next))) continue;
        parent.set(next, node);
        if (next === exact || (found === undefined && next.startsWith(`${module}@`))) found = next;
        queue.push(next);
      }
    }
    if (found === undefined) return undefined;
    const chain: string[] = [];
    for (let n: string = found; n !== ""; n = parent.get(n) ?? "") chain.unshift(n);
    return chain;
  };
  return search(true) ?? search(false);
}

/**
 * The licence of every module with a zip hash line in the wrapper's go.sum: read from its folder in the module
 * cache, after downloading the missing ones (`go mod download -json`, GOFLAGS=-mod=mod, in the wrapper, so go.sum
 * vouches for what arrives). Local-directory replacements in the wrapper's go.mod (not in go.sum) are read from
 * their folder. Forbidden modules get the requirement path that brings them in.
 */
export async function goModuleLicences(wrapperDir: string, options: GoScanOptions = {}): Promise<GoModuleLicence[]> {
  const env = options.env ?? process.env;
  const goSumFile = path.join(wrapperDir, "go.sum");
  const modules = fs.existsSync(goSumFile) ? goSumModules(fs.readFileSync(goSumFile, "utf8")) : [];
  const cache = goModCache(env);
  const dirs = new Map<string, { dir?: string; downloaded: boolean; error?: string }>();
  const missing: typeof modules = [];
  for (const m of modules) {
    const dir = moduleCacheDir(cache, m.module, m.version);
    if (fs.existsSync(dir)) dirs.set(`${m.module}@${m.version}`, { dir, downloaded: false });
    else missing.push(m);
  }
  if (missing.length > 0 && options.download !== false) {
    for (const d of await goModDownload(wrapperDir, missing, env)) {
      dirs.set(`${d.Path}@${d.Version}`, d.Dir && !d.Error ? { dir: d.Dir, downloaded: true } : { downloaded: false, error: d.Error ?? "no Dir in go mod download's answer" });
    }
  }
  const results: GoModuleLicence[] = [];
  for (const m of modules) {
    const found = dirs.get(`${m.module}@${m.version}`);
    const base = { module: m.module, version: m.version, wrapper: wrapperDir };
    if (!found?.dir) {
      const note = found?.error ? `download failed: ${found.error}` : options.download === false ? "not in the module cache" : "not downloaded";
      results.push({ ...base, licence: "unknown", forbidden: false, files: [], downloaded: false, note });
      continue;
    }
    const lic = folderLicence(found.dir);
    const entry: GoModuleLicence = { ...base, licence: lic.licence, forbidden: forbidden(lic.licence), dir: found.dir, files: lic.files, downloaded: found.downloaded };
    if (lic.note) entry.note = lic.note;
    results.push(entry);
  }
  // Local-directory replacements: their code is built but go.sum does not list them.
  const mod = goModJson(wrapperDir, env);
  for (const r of mod.Replace ?? []) {
    if (!isLocalPath(r.New.Path)) continue;
    const dir = path.resolve(wrapperDir, r.New.Path);
    const version = r.Old.Version ?? mod.Require?.find((q) => q.Path === r.Old.Path)?.Version ?? "";
    const base = { module: r.Old.Path, version, wrapper: wrapperDir, dir, downloaded: false };
    if (!fs.existsSync(dir)) {
      results.push({ ...base, licence: "unknown", forbidden: false, files: [], note: `local replacement ${r.New.Path} is not there (made by the wrapper's build)` });
      continue;
    }
    const lic = folderLicence(dir);
    results.push({ ...base, licence: lic.licence, forbidden: forbidden(lic.licence), files: lic.files, note: `local replacement ${r.New.Path}${lic.note ? `; ${lic.note}` : ""}` });
  }
  for (const r of results.filter((x) => x.forbidden)) {
    r.requiredBy = (await goRequirementPath(wrapperDir, r.module, r.version, env)) ?? [`${mod.Module.Path} (go.sum of ${wrapperDir})`];
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// npm packages

export interface NpmPackageLicence {
  name: string;
  version: string;
  /** The entry's key in the lock's `packages` ("node_modules/a/node_modules/b"; "" is the lock's own package). */
  path: string;
  licence: string;
  forbidden: boolean;
  /** Where the licence came from. */
  source: "lock" | "package.json" | "licence file" | "none";
  dev: boolean;
  lockfile: string;
  /** The packages whose dependencies resolve to this entry ("(root)" for the lock's own package.json). */
  requiredBy: string[];
  note?: string;
}

interface LockEntry {
  name?: string;
  version?: string;
  license?: unknown;
  licenses?: unknown;
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/**
 * An npm `license`/`licenses` value as one expression: a string as is; an old `{ type, url }` object as its type;
 * an old array of them as a choice ("(MIT OR GPL-2.0)", which is how dual-licensed packages used it).
 */
export function npmLicenceField(license: unknown, licenses?: unknown): string | undefined {
  const one = (v: unknown): string | undefined =>
    typeof v === "string" ? v.trim() || undefined : v && typeof v === "object" && typeof (v as { type?: unknown }).type === "string" ? (v as { type: string }).type : undefined;
  const many = (v: unknown): string | undefined => {
    if (!Array.isArray(v)) return one(v);
    const ids = v.map(one).filter((x): x is string => x !== undefined);
    if (ids.length === 0) return undefined;
    return ids.length === 1 ? ids[0] : `(${ids.map((id) => (/\s/.test(id) ? `(${id})` : id)).join(" OR ")})`;
  };
  return many(license) ?? many(licenses);
}

const packageName = (p: string) => p.slice(p.lastIndexOf("node_modules/") + "node_modules/".length);

/** Node's lookup from a package folder: its own node_modules, then each parent's, up to the root's. */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === "") return undefined;
    const at = base.lastIndexOf("node_modules/");
    base = at <= 0 ? "" : base.slice(0, at - 1);
  }
}

/**
 * The licence of every package in a package-lock.json (v2/v3 `packages`): the lock's `license` field, else the
 * installed package.json's (`<lock dir>/<path>/package.json`); "SEE LICENSE IN <file>" and missing fields are
 * resolved from the installed package's licence files where it is installed. What stays unknown is listed with a
 * note, not counted as forbidden.
 */
export function npmPackageLicences(lockfile: string): NpmPackageLicence[] {
  const lock = JSON.parse(fs.readFileSync(lockfile, "utf8")) as { lockfileVersion?: number; packages?: Record<string, LockEntry> };
  if (!lock.packages) throw new Error(`${lockfile}: no "packages" (lockfileVersion ${lock.lockfileVersion ?? "?"}; v2 or v3 needed)`);
  const packages = lock.packages;
  const root = path.dirname(lockfile);
  const requirers = new Map<string, string[]>();
  for (const [p, e] of Object.entries(packages)) {
    const deps = { ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies, ...(p === "" ? e.devDependencies : {}) };
    for (const dep of Object.keys(deps)) {
      const target = resolveFrom(packages, p, dep);
      if (!target) continue;
      const who = p === "" ? "(root)" : `${packages[p].name ?? packageName(p)}@${packages[p].version ?? "?"}`;
      requirers.set(target, [...(requirers.get(target) ?? []), who]);
    }
  }
  const out: NpmPackageLicence[] = [];
  for (const [p, e] of Object.entries(packages)) {
    if (e.link) continue; // a workspace link: its target has an entry of its own
    const dir = path.join(root, p);
    const pkgJsonFile = path.join(dir, "package.json");
    let installed: LockEntry | undefined;
    if (fs.existsSync(pkgJsonFile)) {
      try {
        installed = JSON.parse(fs.readFileSync(pkgJsonFile, "utf8")) as LockEntry;
      } catch {
        installed = undefined;
      }
    }
    const name = p === "" ? (e.name ?? installed?.name ?? path.basename(root)) : (e.name ?? packageName(p));
    const version = e.version ?? installed?.version ?? "?";
    let licence = npmLicenceField(e.license, e.licenses);
    let source: NpmPackageLicence["source"] = "lock";
    let note: string | undefined;
    if (licence === undefined && installed) {
      licence = npmLicenceField(installed.license, installed.licenses);
      source = "package.json";
    }
    const seeFile = licence !== undefined ? /^SEE LICEN[CS]E IN (.+)$/i.exec(licence) : null;
    if (seeFile) {
      const file = path.join(dir, seeFile[1].trim());
      if (fs.existsSync(file)) {
        const read = classifyLicenceText(fs.readFileSync(file, "utf8"));
        note = `"${licence}": ${seeFile[1].trim()} reads as ${read}`;
        licence = read;
        source = "licence file";
      } else {
        note = `"${licence}" and the package is not installed here`;
        licence = "unknown";
      }
    } else if (licence === undefined) {
      const lic = fs.existsSync(dir) && p !== "" ? folderLicence(dir) : undefined;
      if (lic && lic.licence !== "unknown") {
        licence = lic.licence;
        source = "licence file";
        note = `no license field; ${lic.files.join(", ")}`;
      } else {
        licence = "unknown";
        source = "none";
        note = p === "" ? "no license field in the lock's own package (the project itself)" : installed ? "no license field and no licence file" : "no license field in the lock and the package is not installed";
      }
    }
    const entry: NpmPackageLicence = { name, version, path: p, licence, forbidden: forbidden(licence), source, dev: e.dev === true, lockfile, requiredBy: requirers.get(p) ?? [] };
    if (note) entry.note = note;
    out.push(entry);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Reports

/** "example.test/agpl-lib v1.0.0: AGPL-3.0 (toolchain/x: x → y@v → example.test/agpl-lib@v1.0.0; LICENSE)". */
export function describeGoModule(m: GoModuleLicence): string {
  const where = m.requiredBy ? m.requiredBy.join(" → ") : m.wrapper;
  const files = m.files.length > 0 ? `; ${m.files.join(", ")}` : "";
  return `${m.module} ${m.version}: ${m.licence} (required in ${m.wrapper}: ${where}${files}${m.note ? `; ${m.note}` : ""})`;
}

/** "left-pad 1.3.0: AGPL-3.0-only (package-lock.json, node_modules/left-pad, required by (root))". */
export function describeNpmPackage(p: NpmPackageLicence): string {
  const by = p.requiredBy.length > 0 ? `required by ${p.requiredBy.join(", ")}` : "required by nothing in the lock";
  return `${p.name} ${p.version}: ${p.licence} (${p.lockfile}, ${p.path || "(root)"}, ${by}${p.note ? `; ${p.note}` : ""})`;
}

/** How many entries carry each licence, most frequent first. */
export function countByLicence(entries: Array<{ licence: string }>): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.licence, (counts.get(e.licence) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

// ---------------------------------------------------------------------------------------------------------------
// A built tool's licence, for `setup --check`

export interface ToolLicence {
  /** Combined licence of the parts ("Apache-2.0", "Apache-2.0 AND MPL-2.0"). */
  licence: string;
  forbidden: boolean;
  /** One line: "github.com/pulumi/pulumi/pkg/v3 v3.259.0: Apache-2.0", or for a wrapper of ours
   * "this project's wrapper: Apache-2.0; github.com/tsenart/vegeta/v12 v12.13.0: MIT; …". */
  summary: string;
  /** The main module, or for our own wrappers the wrapper (the project's licence) and its direct requirements. */
  parts: Array<{ module: string; version: string; licence: string; note?: string }>;
}

function projectLicence(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as LockEntry;
      return npmLicenceField(pkg.license, pkg.licenses) ?? "unknown";
    }
    if (path.dirname(dir) === dir) return "unknown";
  }
}

/**
 * The licence of a tool's main module, from the module cache only (nothing is downloaded; a module not there is
 * "unknown (module not in the cache)"). With `goPackage`, the main module is the required module that holds that
 * package; without it the wrapper is the program: the project's licence (package.json) plus each direct
 * requirement of the wrapper's go.mod (a local-directory replacement is read from its folder).
 */
export function toolLicence(moduleDir: string, goPackage?: string, env: NodeJS.ProcessEnv = process.env): ToolLicence {
  const mod = goModJson(moduleDir, env);
  const cache = goModCache(env);
  const partOf = (module: string, version: string): ToolLicence["parts"][number] => {
    const replace = mod.Replace?.find((r) => r.Old.Path === module && (r.Old.Version === undefined || r.Old.Version === version));
    let dir: string;
    let note: string | undefined;
    if (replace && isLocalPath(replace.New.Path)) {
      dir = path.resolve(moduleDir, replace.New.Path);
      note = `local replacement ${replace.New.Path}`;
      if (!fs.existsSync(dir)) return { module, version, licence: `unknown (local replacement ${replace.New.Path} not there)` };
    } else {
      const target = replace ? { path: replace.New.Path, version: replace.New.Version ?? version } : { path: module, version };
      if (replace) note = `replaced by ${target.path} ${target.version}`;
      dir = moduleCacheDir(cache, target.path, target.version);
      if (!fs.existsSync(dir)) return { module, version, licence: "unknown (module not in the cache)", ...(note ? { note } : {}) };
    }
    const lic = folderLicence(dir);
    const notes = [note, lic.note].filter((n): n is string => n !== undefined);
    return { module, version, licence: lic.licence, ...(notes.length > 0 ? { note: notes.join("; ") } : {}) };
  };
  let parts: ToolLicence["parts"];
  if (goPackage !== undefined) {
    const main = (mod.Require ?? [])
      .filter((r) => goPackage === r.Path || goPackage.startsWith(`${r.Path}/`))
      .sort((a, b) => b.Path.length - a.Path.length)[0];
    parts = main ? [partOf(main.Path, main.Version)] : [{ module: goPackage, version: "?", licence: `unknown (no requirement of ${moduleDir}/go.mod holds ${goPackage})` }];
  } else {
    parts = [
      { module: mod.Module.Path, version: "(this project)", licence: projectLicence(moduleDir) },
      ...(mod.Require ?? []).filter((r) => !r.Indirect).map((r) => partOf(r.Path, r.Version)),
    ];
  }
  const licence = combine(parts.map((p) => (p.licence.startsWith("unknown") ? "unknown" : p.licence)));
  const summary = parts.map((p) => (p.version === "(this project)" ? `this project's wrapper: ${p.licence}` : `${p.module} ${p.version}: ${p.licence}`)).join("; ");
  return { licence, forbidden: parts.some((p) => forbidden(p.licence)), summary, parts };
}
