/**
 * Hands the writes to `stream` that `take` accepts to `sink`, synchronously (an exit right after
 * loses nothing), and passes the rest on unchanged. For output that is written straight to
 * process.stdout/stderr by code we do not own: Powertools' Console, Node's warnings.
 */
export function divertWrites(
  stream: NodeJS.WriteStream,
  sink: (text: string) => void,
  take: (text: string) => boolean = () => true,
): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    if (!take(text)) return write(chunk, ...rest);
    sink(text);
    const done = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}
