import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["datasets/src/**/*.test.ts", "dsl/src/**/*.test.ts", "kernel-ext/src/**/*.test.ts", "test/**/*.test.ts"],
    // tfjs work is CPU-bound and the machine has 2 cores: more workers only thrash.
    maxWorkers: 2,
    testTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ["dsl/src/**/*.test-d.ts"],
      tsconfig: "dsl/tsconfig.typecheck.json",
      // The project's TypeScript: tslab's 5.0 also installs a `tsc` and wins node_modules/.bin.
      checker: "node_modules/typescript/bin/tsc",
    },
  },
});
