import { fork } from "node:child_process";
import { Agent, request } from "node:http";
import { sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type ClosedLoopResult, runClosedLoop } from "./measure.js";

/**
 * The vendor side of the receiver benchmark: a child process (this file, forked with the parent's
 * tsx loader) that POSTs signed webhooks in a closed loop, so that building, signing and timing
 * requests does not share an event loop with the receiver it measures, as the real vendor does not.
 */

/** One closed-loop run; `runTag` makes its deliveries unlike any other run's. */
export type LoadJob = Record<"url" | "runTag" | "secret" | "scheme", string> &
  Record<"concurrency" | "maxRequests" | "maxMs", number>;

type Answer = { id: number; result?: ClosedLoopResult; error?: string };

/** Starts the child; `run` resolves a job's result, bounded by its maxMs plus a margin. */
export async function startLoadClient() {
  const env = { ...process.env, BENCH_LOAD_CLIENT: "1" };
  const child = fork(new URL(import.meta.url), [], { env, stdio: ["ignore", 1, 2, "ipc"] });
  const pending = new Map<number, (answer: Answer) => void>();
  child.on("message", (answer: Answer) => pending.get(answer.id)?.(answer));
  child.once("exit", (code) => {
    for (const settle of pending.values()) settle({ id: 0, error: `client exited (${code})` });
  });
  await new Promise((resolve) => child.once("message", resolve));
  let nextId = 1;
  return {
    run: (job: LoadJob) =>
      new Promise<ClosedLoopResult>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => settle({ id, error: "overran" }), job.maxMs + 30_000);
        const settle = ({ result, error }: Answer) => {
          clearTimeout(timer);
          pending.delete(id);
          if (result) resolve(result);
          else reject(new Error(`load run ${id}: ${error}`));
        };
        pending.set(id, settle);
        child.send({ id, job });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.once("exit", resolve).disconnect();
      }),
  };
}

/** One POST; resolves "<status> <answer's status field>", e.g. "200 accepted". */
function post(url: URL, agent: Agent, body: string, signature: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "x-webhook-signature": signature };
    const req = request(url, { method: "POST", agent, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk));
      res.on("error", reject);
      res.on("end", () => resolve(`${res.statusCode} ${/"status":"([^"]*)"/.exec(text)?.[1]}`));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run(job: LoadJob): Promise<ClosedLoopResult> {
  const url = new URL(job.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`loopback only, got ${url.hostname}`);
  // Bodies and signatures are made before the clock starts: the vendor's cost, not ours.
  const deliveries = Array.from({ length: job.maxRequests }, (_, i) => {
    const at = Date.UTC(2026, 0, 1) + i * 1000;
    const body = sampleWebhookBody({
      phone: "4915112345678",
      text: `bench ${job.runTag} ${i}`,
      at,
    });
    return [body, signatureFor(body, job.secret, job.scheme)] as const;
  });
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  try {
    return await runClosedLoop(job, (i) =>
      post(url, agent, ...(deliveries[i] as [string, string])),
    );
  } finally {
    agent.destroy();
  }
}

if (process.env.BENCH_LOAD_CLIENT === "1" && process.send) {
  process.on("message", ({ id, job }: { id: number; job: LoadJob }) => {
    run(job).then(
      (result) => process.send?.({ id, result }),
      (error: Error) => process.send?.({ id, error: error.message }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: true });
}
