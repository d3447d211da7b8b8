// Loads one of the project's TypeScript modules for a process Pulumi starts (the program, the policy pack): its
// compiled twin in dist/ when dist/ holds a build of the current sources (`cp3 setup` builds it, and rebuilds it
// when a source is newer: toolchain/package-build.ts), else the source itself through ts-node, transpile-only.
// Why: through ts-node every update spent about 3.5 s loading the TypeScript compiler and transpiling some sixty
// files before the program declared its first resource, and the policy pack's harness type-checked the pack
// (about 4 s) before the update began. Types are checked by `npm run typecheck` and the package build, not by
// every update. CP3_FROM_SOURCE=1 forces the source.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");

function compiledIsCurrent() {
    const builder = path.join(root, "dist", "toolchain", "package-build.js");
    if (process.env.CP3_FROM_SOURCE === "1" || !fs.existsSync(builder)) return false;
    try {
        return require(builder).packageDistFresh();
    } catch {
        return false;
    }
}

/** `source`: the module's path from the project root, e.g. "stacks/program.ts". */
module.exports = function loadProjectModule(source) {
    const compiled = path.join(root, "dist", source.replace(/\.ts$/, ".js"));
    if (compiledIsCurrent() && fs.existsSync(compiled)) return require(compiled);
    require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    return require(path.join(root, source));
};
