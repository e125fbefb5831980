import type { Reporter } from "vitest/reporters";

/** Names the run's log file (test/support/runLog.ts) before the first test runs. */
export default class RunLogReporter implements Reporter {
  onInit() {
    const file = process.env.TEST_RUN_LOG;
    if (file) process.stdout.write(`JSON log lines of this run go to ${file}\n`);
  }
}
