import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";

/**
 * Times the INIT of a bundle as a Lambda runtime does it: a fresh `node` process imports the
 * module (which builds its config, logger and SDK clients at module scope). Only the import is
 * timed, not Node's own start-up, which is the same for every bundle.
 */

export interface InitSample {
  importMs: number;
  rssMb: number;
}

const MARKER = "BENCH_INIT ";

/** The child's script: import the bundle given as argv[1], report the time on stdout. */
const SCRIPT = `
const t0 = performance.now();
await import(process.argv[1]);
const importMs = performance.now() - t0;
process.stdout.write("\\n${MARKER}" + JSON.stringify({ importMs, rssMb: process.memoryUsage().rss / 1048576 }) + "\\n");
`;

export function timeInit(
  file: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<InitSample> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--no-warnings", "--input-type=module", "-e", SCRIPT, pathToFileURL(file).href],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith(MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`init of ${file} failed (exit ${code}): ${stderr.trim().slice(-500)}`));
        return;
      }
      resolve(JSON.parse(line.slice(MARKER.length)) as InitSample);
    });
  });
}
