import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";

/**
 * Runs an ES-module script in a fresh `node` process with `file` (as a file URL) in argv[1], and
 * resolves the JSON the script prints on a line starting with `marker`. A fresh process is the
 * point: Lambda's INIT starts from an empty module cache.
 */
export function runInFreshNode<T>(options: {
  script: string;
  marker: string;
  file: string;
  env: Record<string, string>;
  timeoutMs: number;
}): Promise<T> {
  const { script, marker, file, env, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--no-warnings", "--input-type=module", "-e", script, pathToFileURL(file).href],
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
      const line = stdout.split("\n").find((l) => l.startsWith(marker));
      if (code !== 0 || !line) {
        const tail = stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500);
        reject(new Error(`${file} failed in a fresh node (exit ${code}): ${tail}`));
        return;
      }
      resolve(JSON.parse(line.slice(marker.length)) as T);
    });
  });
}
