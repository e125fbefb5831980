import { randomBytes } from "node:crypto";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { WebhookJob } from "../../lambdas/core/messages.js";
import type { RunningEventSourceMapping } from "../../local/eventSourceMapping.js";
import {
  type LocalStack,
  type LocalStackOptions,
  type QueueHandler,
  type StackService,
  startLocalStack,
  type WorkerName,
} from "../../local/stack.js";
import type { SentRecord } from "../../local/vendorSimulator.js";
import { type FaultProxy, startFaultProxy } from "./faultProxy.js";
import { sharedAwsEnv } from "./localAws.js";
import { fifoFields, queueDepth } from "./queues.js";
import { aJob, aWebhook } from "./replyFixtures.js";

/**
 * The local stack (local/stack.ts, the one pipeline harness) as integration and reliability tests
 * start it: on the shared stand-ins of test/support/globalSetup.ts with its own prefixed tables,
 * queues and secrets, handler logs silent unless POWERTOOLS_LOG_LEVEL says otherwise, workers
 * started by the test, plus what tests need to look at it.
 */

export interface TestStackOptions extends LocalStackOptions {
  /**
   * Put a fault proxy between the handlers and every service (`proxies`), so a test can cut a
   * real service off the network. The event source mappings still poll fauxqs directly: they
   * stand for Lambda's poller, AWS's machinery rather than the function's own connection.
   */
  faultProxies?: boolean;
  /**
   * Services (behind fault proxies) that reset every connection while the handlers are built, so
   * what the functions read at INIT (the sender's token warm-up) fails and nothing is cached.
   * startTestStack waits until those reads have given up (a quiet spell after the SDK's last
   * retry), then brings the services up.
   */
  downDuringInit?: StackService[];
}

export interface TestStack extends LocalStack {
  /** Between the handlers and each real service (with `faultProxies`). */
  proxies: Record<StackService, FaultProxy>;
  /** Lines the HTTP stand-in and the mappings reported (failed invocations, polling errors). */
  stackLog: string[];
  /** Starts one more event source mapping of a worker (invoking `handler`, default its own). */
  startWorker(worker: WorkerName, handler?: QueueHandler): RunningEventSourceMapping;
  /** Puts a job on the jobs queue as the receiver would (acceptedAt = now). */
  enqueueJob(text: string, phone: string, overrides?: Partial<WebhookJob>): Promise<WebhookJob>;
  /** Sends a raw body to a queue. */
  send(queueUrl: string, body: string, delaySeconds?: number): Promise<void>;
  /** Visible + in-flight + delayed messages of a queue. */
  depth(queueUrl: string): Promise<number>;
  /** Receives (and leaves in place, briefly hidden) up to 10 messages. */
  peek(
    queueUrl: string,
    visibilityTimeout?: number,
  ): Promise<{ Body?: string; ReceiptHandle?: string }[]>;
  /** The sends the vendor recorded for one contact, in arrival order, with arrival epoch ms. */
  sentTo(phone: string): (SentRecord & { atMs: number })[];
}

/** Longer than the SDK's retry backoff for its default 3 attempts (at most 100 + 200 ms). */
const INIT_QUIET_MS = 1500;
const INIT_CONNECT_TIMEOUT_MS = 10_000;

/** Resolves once a first connection was seen and none for INIT_QUIET_MS since. */
async function initReadsEnded(
  service: StackService,
  lastConnectionAt: () => number | undefined,
): Promise<void> {
  const deadline = Date.now() + INIT_CONNECT_TIMEOUT_MS;
  for (;;) {
    const last = lastConnectionAt();
    if (last !== undefined && Date.now() - last >= INIT_QUIET_MS) return;
    if (last === undefined && Date.now() > deadline) {
      throw new Error(`no handler connected to ${service} while loading (downDuringInit)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const { faultProxies, downDuringInit: down, ...stackOptions } = options;
  const stackLog: string[] = [];
  const proxies: Partial<Record<StackService, FaultProxy>> = {};
  const lastInitConnection: Partial<Record<StackService, number>> = {};
  const unwatchInit: (() => void)[] = [];
  const downDuringInit = new Set(down);
  const stack = await startLocalStack({
    services: { awsEnv: sharedAwsEnv() },
    prefix: `t${randomBytes(4).toString("hex")}-`,
    vendorToken: `vt_${randomBytes(24).toString("base64url")}`,
    logLevel: process.env.POWERTOOLS_LOG_LEVEL || "SILENT",
    workers: "manual",
    log: (line) => {
      stackLog.push(line);
    },
    ...(faultProxies
      ? {
          wrapEndpoint: async (service: StackService, endpoint: string) => {
            const proxy = await startFaultProxy(endpoint);
            proxies[service] = proxy;
            if (downDuringInit.has(service)) {
              await proxy.setMode("reset");
              unwatchInit.push(
                proxy.onConnection(() => {
                  lastInitConnection[service] = Date.now();
                }),
              );
            }
            return { endpoint: proxy.url, stop: () => proxy.stop() };
          },
        }
      : {}),
    ...stackOptions,
  });
  try {
    for (const service of downDuringInit) {
      await initReadsEnded(service, () => lastInitConnection[service]);
      await proxies[service]?.setMode("up");
    }
    for (const unwatch of unwatchInit) unwatch();
  } catch (error) {
    await stack.stop();
    throw error;
  }

  const sqs = stack.sqsClient;
  const send = async (queueUrl: string, body: string, delaySeconds = 0) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
        ...fifoFields(queueUrl, body),
      }),
    );
  };
  return {
    ...stack,
    proxies: proxies as Record<StackService, FaultProxy>,
    stackLog,
    startWorker: (name, handler) => {
      const worker = stack.workers[name];
      if (!worker) throw new Error(`the stack was started without the ${name} worker`);
      return worker.start(handler);
    },
    enqueueJob: async (text, phone, overrides = {}) => {
      const at = Date.now();
      const job = aJob({
        key: `job_${phone}_${at}_${randomBytes(3).toString("hex")}`,
        acceptedAt: at,
        webhook: aWebhook({
          phone,
          lastMessageOfUser: text,
          userLastMessageTimeMs: at,
          lastMessages: [
            {
              role: "user",
              content: text,
              timestamp: new Date(at).toISOString(),
              timestampMs: at,
              contentType: "text",
              mediaUrl: null,
            },
          ],
        }),
        ...overrides,
      });
      await send(stack.resources.queues.jobs, JSON.stringify(job));
      return job;
    },
    send,
    depth: (queueUrl) => queueDepth(sqs, queueUrl),
    peek: async (queueUrl, visibilityTimeout = 1) => {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: visibilityTimeout,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      return out.Messages ?? [];
    },
    sentTo: (phone) =>
      stack.vendor
        .sent()
        .filter((s) => s.phone.replace(/\D/g, "") === phone)
        .map((s) => ({ ...s, atMs: Date.parse(s.at) })),
  };
}

/**
 * A fresh contact number per test, so tests sharing the vendor simulator stay apart. A valid US
 * number (+1 415 NXX XXXX, NXX from 200), as the responder checks numbers with libphonenumber-js.
 */
let phoneCounter = 0;
export function newPhone(): string {
  phoneCounter += 1;
  return `1415${200 + (process.pid % 800)}${String(phoneCounter).padStart(4, "0")}`;
}
