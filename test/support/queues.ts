import { randomUUID } from "node:crypto";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { queueDepth as opsQueueDepth, totalOf } from "../../ops/queues.js";

/** Looking at and moving messages on the local queues, and waiting for something to happen. */

/** Visible + in flight + delayed messages on the queue (the ops CLI's own count, summed). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  return totalOf(await opsQueueDepth(sqs, queueUrl));
}

/** An SQS client for the local fauxqs at `endpoint` (an awsEnv's AWS_ENDPOINT_URL_SQS). */
export function localSqsClient(endpoint: string | undefined): SQSClient {
  return new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
}

/** Receives and deletes every message now visible on the queue; returns the parsed bodies. */
export async function drainQueue<T = unknown>(sqs: SQSClient, queueUrl: string): Promise<T[]> {
  return (await drainRaw(sqs, queueUrl)).map((body) => JSON.parse(body) as T);
}

/** Receives and deletes every message now visible on the queue; returns the bodies as sent. */
export async function drainRaw(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return bodies;
    for (const message of messages) bodies.push(String(message.Body));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

/**
 * What a test send to a FIFO queue (the jobs queue) needs: the contact's group, read from the
 * job's webhook like the receiver's, and a fresh deduplication id, so that putting a drained
 * message back (or sending a job twice, as a redelivery would) is not dropped as a repeat of the
 * receiver's send. Nothing for a standard queue.
 */
export function fifoFields(
  queueUrl: string,
  body: string,
): { MessageGroupId?: string; MessageDeduplicationId?: string } {
  if (!queueUrl.endsWith(".fifo")) return {};
  let phone: unknown;
  try {
    phone = (JSON.parse(body) as { webhook?: { phone?: unknown } }).webhook?.phone;
  } catch {
    // Not a job (a poison message): one group of its own.
  }
  return {
    MessageGroupId: typeof phone === "string" && phone !== "" ? phone : "test-unparsable",
    MessageDeduplicationId: randomUUID(),
  };
}

/** Puts bodies (as drained) back on a queue, ten at a time. */
export async function sendRaw(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies
          .slice(i, i + 10)
          .map((body, j) => ({ Id: String(j), MessageBody: body, ...fifoFields(queueUrl, body) })),
      }),
    );
    if (out.Failed?.length) throw new Error(`could not re-send ${out.Failed.length} message(s)`);
  }
}

/**
 * Polls `check` until it returns a value other than undefined or false (which it then returns),
 * or fails after timeoutMs naming `what`. With `progress` (a count that grows as the work goes
 * on: replies sent, jobs taken), timeoutMs is how long the count may stand still: a machine
 * loaded by other work makes the pipeline slow, not stuck, and only a stuck one fails. The
 * default bound is for a stuck pipeline too: a step of seconds alone took tens of seconds with
 * the suite at a load of twice the cores.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  {
    timeoutMs = 60_000,
    intervalMs = 100,
    progress,
  }: { timeoutMs?: number; intervalMs?: number; progress?: () => Promise<number> | number } = {},
): Promise<Exclude<T, false>> {
  let deadline = Date.now() + timeoutMs;
  let last: unknown;
  let count = progress ? await progress() : 0;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, false>;
    } catch (error) {
      last = error;
    }
    if (progress) {
      const now = await progress();
      if (now !== count) {
        count = now;
        deadline = Date.now() + timeoutMs;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${progress ? "no progress for" : "timed out after"} ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
