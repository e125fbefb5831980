import type { ChildProcess } from "node:child_process";

/** The one stdout line `npm start` prints when ready (README.md, "The local stack"). */
const READY_PREFIX = "READY ";

export interface ReadyUrls {
  receiverUrl: string;
  vendorUrl: string;
}

export function formatReadyLine(urls: ReadyUrls): string {
  return `${READY_PREFIX}${JSON.stringify({ receiverUrl: urls.receiverUrl, vendorUrl: urls.vendorUrl })}`;
}

/**
 * Waits for the READY line on a started `npm start` child and resolves it (without the newline).
 * Rejects after `timeoutMs`, or if the child exits first; `diagnostics` (e.g. the stderr tail)
 * goes into the error so a failed start explains itself.
 */
export function waitForReadyLine(
  child: ChildProcess,
  timeoutMs: number,
  diagnostics: () => string = () => "",
): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(
      () => reject(new Error(`no READY line within ${timeoutMs} ms\n${diagnostics()}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith(READY_PREFIX));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before READY\n${diagnostics()}`));
    });
  });
}

/** The URLs of a READY line. */
export function parseReadyLine(line: string): ReadyUrls {
  return JSON.parse(line.slice(READY_PREFIX.length)) as ReadyUrls;
}
