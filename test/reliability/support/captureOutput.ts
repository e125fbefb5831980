/**
 * Captures everything written to process.stdout and process.stderr (Powertools writes its JSON
 * lines there) while still letting the test runner's own output through when asked to.
 */
export interface CapturedOutput {
  /** Every chunk written since start (or the last clear). */
  text(): string;
  /** Written chunks split into lines. */
  lines(): string[];
  clear(): void;
  restore(): void;
}

export function captureOutput(options: { echo?: boolean } = {}): CapturedOutput {
  const chunks: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const wrap = (real: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      if (options.echo) return real(chunk, ...(rest as []));
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = wrap(realOut);
  process.stderr.write = wrap(realErr);
  return {
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.trim() !== ""),
    clear: () => {
      chunks.length = 0;
    },
    restore: () => {
      process.stdout.write = realOut;
      process.stderr.write = realErr;
    },
  };
}
