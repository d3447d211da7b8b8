import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Integration tests drive the real engine; they run one file at a time on this 2-core machine.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default"],
    // program-failures.test.ts makes a one-shot job fail on purpose (stack "ci-job"); Pulumi's runtime then
    // reports the rejected output a second time. Every other unhandled error still fails the run.
    onUnhandledError: (error: { message?: string }) => !(error.message ?? "").startsWith("job cp3-ci-job-migrate exited with 1"),
  },
});
