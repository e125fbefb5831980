import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ENV } from "../../lambdas/contract.js";
import type { WebhookJob } from "../../lambdas/core/messages.js";
import {
  type RunningEventSourceMapping,
  startEventSourceMapping,
} from "../../local/eventSourceMapping.js";
import { startVendorSimulator, type VendorSimulator } from "../../local/vendorSimulator.js";
import { provisionForTest } from "./localAws.js";
import { queueDepth } from "./queueDepth.js";
import { aJob, aWebhook } from "./replyFixtures.js";

/**
 * The reply half of the pipeline on the real local services, for integration tests: its own
 * tables and queues, the vendor simulator, the handler env in process.env (set before the handler
 * modules are imported), and SQS event source mappings that run handlers the way Lambda does.
 */

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface PipelineOptions {
  /** Reply rules JSON (REPLY_RULES). */
  rules: unknown;
  /** Extra handler env (tuning), keyed by ENV names. */
  env?: Record<string, string>;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

const VENDOR_TOKEN = `vendor-${randomBytes(6).toString("hex")}`;

export async function startReplyPipeline(options: PipelineOptions) {
  const resources = await provisionForTest({
    vendorToken: VENDOR_TOKEN,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount,
  });
  const vendor: VendorSimulator = await startVendorSimulator({ token: VENDOR_TOKEN });
  Object.assign(process.env, resources.env, {
    [ENV.replyRules]: JSON.stringify(options.rules),
    [ENV.vendorBaseUrl]: vendor.url,
    [ENV.logLevel]: process.env.POWERTOOLS_LOG_LEVEL || "SILENT",
    ...options.env,
  });
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const mappings: RunningEventSourceMapping[] = [];

  return {
    resources,
    vendor,
    sqs,
    /** Runs `handler` on `queueUrl` like Lambda's event source mapping; stopped by stop(). */
    run(
      queueUrl: string,
      handler: QueueHandler,
      functionName: string,
      tuning: { batchSize?: number; concurrency?: number; timeoutMs?: number } = {},
    ) {
      const mapping = startEventSourceMapping({
        queueUrl,
        handler,
        sqsClient: sqs,
        functionName,
        waitTimeSeconds: 1,
        log: () => undefined,
        ...tuning,
      });
      mappings.push(mapping);
      return mapping;
    },
    /** Puts a job on the jobs queue as the receiver would (acceptedAt = now). */
    async enqueueJob(
      text: string,
      phone: string,
      overrides: Partial<WebhookJob> = {},
    ): Promise<WebhookJob> {
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
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: resources.queues.jobs,
          MessageBody: JSON.stringify(job),
        }),
      );
      return job;
    },
    async send(queueUrl: string, body: string, delaySeconds = 0) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          DelaySeconds: delaySeconds,
        }),
      );
    },
    /** Visible + in-flight + delayed messages of a queue. */
    depth(queueUrl: string): Promise<number> {
      return queueDepth(sqs, queueUrl);
    },
    /** Receives (and leaves in place, briefly hidden) up to 10 messages. */
    async peek(queueUrl: string, visibilityTimeout = 1) {
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
    /** The sends the vendor recorded for one contact, in arrival order, with arrival epoch ms. */
    sentTo(phone: string) {
      return vendor
        .sent()
        .filter((s) => s.phone.replace(/\D/g, "") === phone)
        .map((s) => ({ ...s, atMs: Date.parse(s.at) }));
    },
    async stop() {
      await Promise.all(mappings.map((m) => m.stop()));
      await vendor.stop();
      sqs.destroy();
    },
  };
}

export type ReplyPipeline = Awaited<ReturnType<typeof startReplyPipeline>>;

/** Polls `check` until it returns true or `timeoutMs` passes; then throws with `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** A fresh contact number per test, so tests sharing the vendor simulator stay apart. */
let phoneCounter = 0;
export function newPhone(): string {
  phoneCounter += 1;
  return `1555${String(process.pid % 1000).padStart(3, "0")}${String(phoneCounter).padStart(4, "0")}`;
}
