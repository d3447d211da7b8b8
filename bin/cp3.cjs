#!/usr/bin/env node
// Bootstrap for `npm run cp3` and `npm test`. Plain JavaScript on purpose: it must run on whatever Node.js
// the machine has (20 here) before any dependency is installed. It does the two things the TypeScript CLI
// cannot do for itself: install the npm dependencies, and bring a Node.js that current @pulumi/pulumi
// accepts (>= 22). Then it hands over to cli/main.ts under that Node.js.
"use strict";

const { spawnSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const versions = require(path.join(root, "toolchain", "versions.json"));
const started = Date.now();

function progress(message) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`[cp3 ${seconds.padStart(6)}s] ${message}\n`);
}

function cacheRoot() {
    const base = process.env.CP3_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "cp3-testbed");
    fs.mkdirSync(base, { recursive: true });
    return base;
}

function fail(step, command, log) {
    progress(`FAILED step "${step}": ${command}` + (log ? `\n  log: ${log}` : ""));
    process.exit(2);
}

function runLogged(step, command, args, options) {
    const logDir = path.join(cacheRoot(), "logs");
    fs.mkdirSync(logDir, { recursive: true });
    const log = path.join(logDir, `${step.replace(/\W+/g, "-")}.log`);
    const out = fs.openSync(log, "w");
    const result = spawnSync(command, args, { stdio: ["ignore", out, out], ...options });
    fs.closeSync(out);
    if (result.status !== 0) {
        fail(step, [command, ...args].join(" "), log);
    }
}

// npm ci when node_modules is missing or older than the lock file.
function ensureDependencies() {
    const lock = path.join(root, "package-lock.json");
    const marker = path.join(root, "node_modules", ".package-lock.json");
    const fresh = fs.existsSync(marker) && (!fs.existsSync(lock) || fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs);
    if (fresh) {
        return;
    }
    progress("step npm-install: npm ci");
    const npmArgs = fs.existsSync(lock) ? ["ci"] : ["install"];
    runLogged("npm-install", "npm", [...npmArgs, "--no-audit", "--no-fund"], { cwd: root });
    progress("step npm-install: done");
}

function nodeMajor(nodeBinary) {
    const result = spawnSync(nodeBinary, ["-p", "process.versions.node"], { encoding: "utf8" });
    return result.status === 0 ? Number(result.stdout.trim().split(".")[0]) : 0;
}

// The pinned Node.js LTS from the npm registry (cached). The images always get this one; the CLI runs on it
// too unless the Node.js running us is already new enough (>= 22).
function ensurePinnedNode() {
    const { version, npmPackage } = versions.node;
    const dir = path.join(cacheRoot(), "node", version);
    const binary = path.join(dir, "bin", "node");
    if (fs.existsSync(binary) && nodeMajor(binary) >= 22) {
        return binary;
    }
    progress(`step node: fetching Node.js ${version} (${npmPackage}) from the npm registry`);
    const staging = fs.mkdtempSync(path.join(cacheRoot(), "node-staging-"));
    runLogged("node-fetch", "npm", ["pack", `${npmPackage}@${version}`, "--silent"], { cwd: staging });
    const tarball = fs.readdirSync(staging).find((f) => f.endsWith(".tgz"));
    if (!tarball) {
        fail("node-fetch", `npm pack ${npmPackage}@${version}`, null);
    }
    runLogged("node-extract", "tar", ["-xzf", tarball, "--strip-components=1"], { cwd: staging });
    fs.rmSync(path.join(staging, tarball));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(staging, dir);
    progress(`step node: Node.js ${version} ready in ${dir}`);
    return binary;
}

function main() {
    ensureDependencies();
    const pinned = ensurePinnedNode();
    const node = Number(process.versions.node.split(".")[0]) >= 22 ? process.execPath : pinned;
    const env = {
        ...process.env,
        CP3_PINNED_NODE: pinned,
        // Child processes (the Pulumi language host, vitest workers) must find the same Node.js first on PATH.
        PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH || ""}`,
        CP3_BOOTSTRAP_STARTED: String(started),
    };
    // The CLI runs in a session of its own and gets each signal from here exactly once. Otherwise a terminal's
    // Ctrl-C would reach the Pulumi CLI twice (directly, and again when cp3 cancels the operation), and a
    // second SIGINT makes Pulumi stop at once and leave an operation pending in the state.
    const child = spawn(node, ["--import", "tsx", path.join(root, "cli", "main.ts"), ...process.argv.slice(2)], {
        cwd: root,
        env,
        stdio: "inherit",
        detached: true,
    });
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
        process.on(signal, () => child.kill(signal));
    }
    child.on("exit", (code, signal) => {
        process.exitCode = code ?? (signal === "SIGINT" ? 130 : 2);
    });
}

main();
