import { appendFileSync } from "node:fs";
import { divertWrites } from "../../local/divertWrites.js";

/**
 * Each test worker's setup file: the JSON log lines the handlers write straight to
 * process.stdout and process.stderr (Powertools' own Console, which vitest does not capture) go
 * to the run's log file (TEST_RUN_LOG, chosen in vitest.config.ts and named at the start of the
 * run), so they do not flood the runner's output. Anything else is written as before.
 */

const file = process.env.TEST_RUN_LOG;

/** A write holding only JSON log lines, as Powertools writes them (one line per write). */
export function isJsonLogWrite(text: string): boolean {
  return text.startsWith('{"level":"') && text.trimEnd().endsWith("}");
}

if (file) {
  const append = (text: string) => appendFileSync(file, text);
  divertWrites(process.stdout, append, isJsonLogWrite);
  divertWrites(process.stderr, append, isJsonLogWrite);
}
