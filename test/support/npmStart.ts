import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { parseReadyLine, type ReadyUrls, waitForReadyLine } from "../../local/readyLine.js";

/**
 * `npm start` as a user runs it, for black-box tests: spawned with flags and env, resolved once

 * its READY line is out (given 150 s: tsx and a JVM start slowly on a loaded machine), stopped with SIGTERM (SIGKILL after 20 s) so its JVM goes too.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const READY_TIMEOUT_MS = 150_000;

export interface NpmStart {
  child: ChildProcess;
  readyLine: string;
  urls: ReadyUrls;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** The last 200 kB written to stderr. */
  stderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited after 20 s; a no-op once it has exited. */
  stop(): Promise<void>;
}

export async function startNpmStart(
  flags: string[],
  env: Record<string, string | undefined> = {},
): Promise<NpmStart> {
  const child = spawn("npm", ["start", "--silent", "--", ...flags], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-200_000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const readyLine = await waitForReadyLine(child, READY_TIMEOUT_MS, () => stderr);
    return {
      child,
      readyLine,
      urls: parseReadyLine(readyLine),
      stdout: () => stdout,
      stderr: () => stderr,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
