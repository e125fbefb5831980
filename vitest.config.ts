import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { UNIT_TESTS } from "./test/support/projects.js";

// One log file per run for the handlers' JSON lines (test/support/runLog.ts); the workers inherit
// the variable. Set TEST_RUN_LOG to choose the file.
if (!process.env.TEST_RUN_LOG) {
  const dir = join(tmpdir(), "reply-pipeline-tests");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  process.env.TEST_RUN_LOG = join(dir, `run-${stamp}-${process.pid}.log`);
}

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
    // Bounds for a stuck test, not a slow one: at a load of twice the cores a test of seconds took
    // tens of them (a program run under mocks, a local stack's first replies). Waits inside the
    // tests fail first, when the work stands still (test/support/queues.ts waitFor).
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ["default", "./test/support/runLogReporter.ts"],
    setupFiles: ["test/support/runLog.ts"],
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
