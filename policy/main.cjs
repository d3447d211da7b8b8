// The policy pack's entry (package.json `main`): index.ts, compiled when dist/ is current
// (lib/project-module.cjs says why).
module.exports = require("../lib/project-module.cjs")("policy/index.ts");
