import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".cp3/", ".pulumi-state/", "report/", "toolchain/docker-provider/_upstream/", "dist/", ".dist-*/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["bin/**/*.cjs", "lib/**/*.cjs", "stacks/**/*.cjs", "policy/**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Node.js programs baked into images (ES modules, no dependencies).
    files: ["images/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", fetch: "readonly", AbortSignal: "readonly", URL: "readonly", console: "readonly" } },
  },
  {
    // k6 scripts run in k6's own JavaScript runtime.
    files: ["loadtests/**/*.js"],
    languageOptions: { globals: { __ENV: "readonly", __VU: "readonly", __ITER: "readonly", console: "readonly", open: "readonly" } },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
