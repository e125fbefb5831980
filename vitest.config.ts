import { configDefaults, defineConfig } from "vitest/config";
import { UNIT_TESTS } from "./test/support/projects.js";

/**
 * Two projects (`npm test` runs both): "unit" without any service, and "integration", everything
 * else, with DynamoDB Local, fauxqs and the Secrets Manager stand-in started once per run by
 * globalSetup. A file is integration unless test/support/projects.ts lists it as unit.
 */
export default defineConfig({
  test: {
    // Integration tests share one DynamoDB Local JVM; 2 cores, so keep parallelism modest.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: { name: "unit", include: [...UNIT_TESTS] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...UNIT_TESTS],
          globalSetup: ["test/support/globalSetup.ts"],
        },
      },
    ],
  },
});
