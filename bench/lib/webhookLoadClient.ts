/**
 * The vendor side of the receiver benchmark, run as a child process (bench/lib/loadDriver.ts
 * forks it) so that building, signing and timing requests does not share an event loop with the
 * receiver it measures, as the real vendor does not. Speaks to its parent over the IPC channel.
 */
import { Agent, request } from "node:http";
import { sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type ClosedLoopResult, runClosedLoop } from "./closedLoop.js";

/** One measurement the parent asks for. */
export interface LoadRequest {
  kind: "run";
  id: number;
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

export type ParentMessage = LoadRequest | { kind: "exit" };
export type ChildMessage =
  | { kind: "ready" }
  | { kind: "result"; id: number; result: ClosedLoopResult }
  | { kind: "failed"; id: number; message: string };

interface Delivery {
  body: string;
  signature: string;
}

/** Bodies and signatures are made before the clock starts: the vendor's cost, not ours. */
function deliveries(job: LoadRequest): Delivery[] {
  const count = job.mode === "repeat" ? 1 : job.maxRequests;
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, index) => {
    const body = sampleWebhookBody({
      phone: "4915112345678",
      text: `bench ${job.runTag} ${index}`,
      at: base + index * 1000,
    });
    return { body, signature: signatureFor(body, job.secret, job.scheme) };
  });
}

function post(url: URL, agent: Agent, delivery: Delivery): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(delivery.body),
          "x-webhook-signature": delivery.signature,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          let status = "";
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
              status?: unknown;
            };
            if (typeof parsed.status === "string") status = ` ${parsed.status}`;
          } catch {
            // not JSON: the HTTP status alone labels the outcome
          }
          resolve(`${res.statusCode}${status}`);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(delivery.body);
  });
}

async function run(job: LoadRequest): Promise<ClosedLoopResult> {
  const url = new URL(job.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`loopback only, got ${url.hostname}`);
  const prepared = deliveries(job);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  try {
    return await runClosedLoop(job, (index) =>
      post(url, agent, prepared[job.mode === "repeat" ? 0 : index] as Delivery),
    );
  } finally {
    agent.destroy();
  }
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

if (process.send) {
  process.on("message", (message: ParentMessage) => {
    if (message.kind === "exit") {
      process.disconnect();
      return;
    }
    run(message).then(
      (result) => send({ kind: "result", id: message.id, result }),
      (error: unknown) =>
        send({
          kind: "failed",
          id: message.id,
          message: (error as Error).message ?? String(error),
        }),
    );
  });
  send({ kind: "ready" });
}
