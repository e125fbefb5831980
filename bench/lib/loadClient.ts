import { fork } from "node:child_process";
import { Agent, request } from "node:http";
import { sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type ClosedLoopResult, runClosedLoop } from "./measure.js";

/**
 * The vendor side of the receiver benchmark: a child process (this same file, forked with the
 * parent's tsx loader) that POSTs signed webhooks in a closed loop, so that building, signing and
 * timing requests does not share an event loop with the receiver it measures, as the real vendor
 * does not. Parent and child speak over the IPC channel.
 */

export interface LoadJob {
  url: string;
  /** distinct: a new delivery per request; repeat: the same delivery every time. */
  mode: "distinct" | "repeat";
  /** Makes this run's deliveries unlike any other run's. */
  runTag: string;
  concurrency: number;
  maxRequests: number;
  maxMs: number;
  secret: string;
  scheme: string;
}

type Answer = { id: number; result?: ClosedLoopResult; error?: string };

/** Starts the child; `run` resolves each job's result, bounded by its maxMs plus a margin. */
export async function startLoadClient() {
  const child = fork(new URL(import.meta.url), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, BENCH_LOAD_CLIENT: "1" },
  });
  const pending = new Map<number, (answer: Answer) => void>();
  child.on("message", (answer: Answer) => pending.get(answer.id)?.(answer));
  child.once("exit", (code) => {
    for (const settle of pending.values()) settle({ id: 0, error: `load client exited (${code})` });
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("error", reject);
    setTimeout(() => reject(new Error("load client did not start in 30 s")), 30_000).unref();
  });
  let nextId = 1;
  return {
    run: (job: LoadJob) =>
      new Promise<ClosedLoopResult>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(
          () => settle({ id, error: "overran its bound" }),
          job.maxMs + 30_000,
        );
        const settle = ({ result, error }: Answer) => {
          clearTimeout(timer);
          pending.delete(id);
          if (result) resolve(result);
          else reject(new Error(`load run ${id}: ${error}`));
        };
        pending.set(id, settle);
        child.send({ id, job });
      }),
    stop: () => {
      child.disconnect();
      return new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once("exit", () => resolve()),
      );
    },
  };
}

/** One POST; resolves "<status> <answer status>", e.g. "200 accepted". */
function post(url: URL, agent: Agent, body: string, signature: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "x-webhook-signature": signature };
    const req = request(url, { method: "POST", agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = /"status":"([^"]*)"/.exec(text)?.[1];
        resolve(status ? `${res.statusCode} ${status}` : String(res.statusCode));
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run(job: LoadJob): Promise<ClosedLoopResult> {
  const url = new URL(job.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`loopback only, got ${url.hostname}`);
  // Bodies and signatures are made before the clock starts: the vendor's cost, not ours.
  const deliveries = Array.from({ length: job.mode === "repeat" ? 1 : job.maxRequests }, (_, i) => {
    const body = sampleWebhookBody({
      phone: "4915112345678",
      text: `bench ${job.runTag} ${i}`,
      at: Date.UTC(2026, 0, 1) + i * 1000,
    });
    return { body, signature: signatureFor(body, job.secret, job.scheme) };
  });
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  try {
    return await runClosedLoop(job, (i) => {
      const delivery = deliveries[job.mode === "repeat" ? 0 : i] as (typeof deliveries)[number];
      return post(url, agent, delivery.body, delivery.signature);
    });
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
