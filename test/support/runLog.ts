import { appendFileSync } from "node:fs";

/**
 * Each test worker's setup file: the JSON log lines the handlers write straight to
 * process.stdout and process.stderr (Powertools' own Console, which vitest does not capture) go
 * to the run's log file (TEST_RUN_LOG, chosen in vitest.config.ts and named at the start of the
 * run), so they do not flood the runner's output. Anything else is written as before.
 */

const file = process.env.TEST_RUN_LOG;

/** A write holding only JSON log lines, as Powertools writes them (one line per write). */
export function isJsonLogWrite(chunk: unknown): boolean {
  const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : "";
  return text.startsWith('{"level":"') && text.trimEnd().endsWith("}");
}

function routeJsonLines(stream: NodeJS.WriteStream, logFile: string) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!isJsonLogWrite(chunk)) return write(chunk, ...rest);
    appendFileSync(logFile, chunk as string | Uint8Array);
    const done = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}

if (file) {
  routeJsonLines(process.stdout, file);
  routeJsonLines(process.stderr, file);
}
