// The Pulumi program's entry (Pulumi.yaml `main`): stacks/program.ts, compiled when dist/ is current
// (lib/project-module.cjs says why). Its exports are the stack's outputs.
module.exports = require("../lib/project-module.cjs")("stacks/program.ts");
