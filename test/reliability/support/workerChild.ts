import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./workerProcess.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

export interface WorkerChild {
  process: ChildProcess;
  /** Everything the worker wrote (its JSON log lines included). */
  output(): string;
  /** SIGKILL: no cleanup, no chance to finish the batch (a crashed or frozen Lambda). */
  kill(): Promise<void>;
}

/**
 * A bound for a stuck start only: `node --import tsx` and the SDK load in a few seconds, but a
 * machine loaded many times over stretches that to tens of seconds, which is slow, not stuck.
 */
const STUCK_START_MS = 180_000;

/** Starts a worker process and resolves once it polls its queue. */
export async function startWorkerChild(options: {
  worker: "responder" | "sender";
  queueUrl: string;
  sqsEndpoint: string;
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<WorkerChild> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", SCRIPT, options.worker, options.queueUrl, options.sqsEndpoint],
    { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `worker did not start within ${options.timeoutMs ?? STUCK_START_MS} ms\n${output}`,
        ),
      );
    }, options.timeoutMs ?? STUCK_START_MS);
    const onData = () => {
      if (output.includes("WORKER READY")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready\n${output}`));
    });
  });
  return {
    process: child,
    output: () => output,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
