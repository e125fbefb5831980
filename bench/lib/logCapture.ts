/**
 * Takes over process.stdout while benchmarks run: the handlers' JSON log lines (one per webhook
 * and more) are counted per Powertools `service` and dropped, so they neither flood the console
 * nor cost terminal time inside a latency measurement; the counts give the CloudWatch Logs bytes
 * per webhook. Benchmark output goes through `print`, straight to the real stdout. Lines that are
 * not a handler's JSON log are passed on to stderr, so nothing unexpected is hidden.
 */

export interface LogTally {
  lines: number;
  bytes: number;
}

export interface LogCapture {
  /** Writes to the real stdout. */
  print(text: string): void;
  /** Log lines and bytes (newline included) per service since the last reset. */
  tally(): Map<string, LogTally>;
  reset(): void;
  /** Calls `listener` with every handler log line (until the returned function is called). */
  observe(listener: (service: string, line: string) => void): () => void;
  /** Restores process.stdout.write. */
  stop(): void;
}

const SERVICE_FIELD = /"service":"([^"]*)"/;

export function captureHandlerLogs(): LogCapture {
  const stdout = process.stdout;
  const originalWrite = stdout.write.bind(stdout);
  const tallies = new Map<string, LogTally>();
  const listeners = new Set<(service: string, line: string) => void>();
  let partial = "";

  const account = (line: string) => {
    if (line === "") return;
    const service = line.startsWith("{") ? SERVICE_FIELD.exec(line)?.[1] : undefined;
    if (service === undefined) {
      process.stderr.write(`${line}\n`);
      return;
    }
    const tally = tallies.get(service) ?? { lines: 0, bytes: 0 };
    tally.lines += 1;
    tally.bytes += Buffer.byteLength(line) + 1;
    tallies.set(service, tally);
    for (const listener of listeners) listener(service, line);
  };

  const capturingWrite = (
    chunk: string | Uint8Array,
    encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) account(line);
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    if (done) queueMicrotask(() => done(null));
    return true;
  };
  stdout.write = capturingWrite as typeof stdout.write;

  return {
    print: (text) => {
      originalWrite(text);
    },
    tally: () => new Map([...tallies].map(([service, t]) => [service, { ...t }])),
    reset: () => tallies.clear(),
    observe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => {
      if (partial) account(partial);
      partial = "";
      stdout.write = originalWrite as typeof stdout.write;
    },
  };
}
