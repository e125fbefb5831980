import { type ChildProcess, fork } from "node:child_process";
import type { ClosedLoopResult } from "./closedLoop.js";
import type { ChildMessage, LoadRequest, ParentMessage } from "./webhookLoadClient.js";

/** A running load client (child process) that POSTs signed webhooks on request. */
export interface LoadClient {
  run(job: Omit<LoadRequest, "kind" | "id">): Promise<ClosedLoopResult>;
  stop(): Promise<void>;
}

const CLIENT_FILE = new URL("./webhookLoadClient.ts", import.meta.url);
const START_TIMEOUT_MS = 30_000;

/**
 * Forks bench/lib/webhookLoadClient.ts (with this process's tsx loader flags) and waits until it
 * is ready. Each run is bounded by the job's maxMs plus a margin.
 */
export async function startLoadClient(): Promise<LoadClient> {
  const child: ChildProcess = fork(CLIENT_FILE, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<
    number,
    { resolve: (r: ClosedLoopResult) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load client exited (${code})`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("load client did not start in time")),
      START_TIMEOUT_MS,
    );
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`load client exited early (${code})`)));
    child.on("message", (message: ChildMessage) => {
      if (message.kind === "ready") {
        clearTimeout(timer);
        resolve();
        return;
      }
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.kind === "result") waiter.resolve(message.result);
      else waiter.reject(new Error(`load client: ${message.message}`));
    });
  });
  const sendToChild = (message: ParentMessage) => child.send(message);
  return {
    run: (job) =>
      new Promise<ClosedLoopResult>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`load run ${id} overran its bound`));
        }, job.maxMs + 30_000);
        pending.set(id, {
          resolve: (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        sendToChild({ kind: "run", id, ...job });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      sendToChild({ kind: "exit" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
