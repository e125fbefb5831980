import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createLambdaContext, describeError, invokeWithTimeout } from "./lambdaInvoke.js";

/**
 * A local stand-in for Lambda's SQS event source mapping with ReportBatchItemFailures: pollers
 * long-poll the queue, invoke the handler with a batch in the Lambda SQS event shape, and delete
 * every record the handler did not report as failed. A thrown, timed-out or malformed response
 * leaves the whole batch to come back after the visibility timeout; moving poison messages to the
 * DLQ is SQS's job (the queue's maxReceiveCount), exactly as on AWS.
 *
 * FIFO queues (the jobs queue) behave as Lambda's mapping does: the queue hands out a message
 * group's messages in order and none of a group while one of it is in flight, so a failed record
 * (not deleted) blocks its group until it succeeds or SQS moves it to the DLQ, while other groups
 * go on; the handler reports a group's later records as failed too (processSqsBatch's fifo mode).
 * The mapping itself only has to keep that order when it hands messages back (see release).
 * Hand-written: no npm package runs an SQS event source mapping against an SQS endpoint.
 */

export interface EventSourceMappingOptions {
  queueUrl: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers typed Promise<void> must fit too
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined | void>;
  /** Pointed at fauxqs (useQueueUrlAsEndpoint: false). */
  sqsClient: SQSClient;
  functionName: string;
  /** Records per invocation, 1..10; default 10. */
  batchSize?: number;
  /** Parallel pollers; default 2. */
  concurrency?: number;
  /**
   * Invocations in flight at once, across the pollers; default `concurrency` (a poller receives
   * again only when its invocation is done). Higher, a poller goes on receiving while its batch
   * runs, as Lambda adds concurrent batches for a queue with messages waiting (for FIFO, up to
   * the number of active message groups): a batch held up by one slow record does not hold
   * back the next batch's contacts. Bounded: it waits for room before receiving, so it never
   * holds messages it cannot start.
   */
  maxConcurrency?: number;
  /**
   * Records in flight at once, across the invocations; default `concurrency` full batches. One
   * Node process runs every invocation locally: many full batches side by side would starve it
   * (each then outlives its timeout), so extra invocations are mostly for small batches.
   */
  maxRecordsInFlight?: number;
  /** Long-poll wait in seconds, 0..20; default 1. */
  waitTimeSeconds?: number;
  /** Invocation timeout (what context.getRemainingTimeInMillis counts down); default 30000. */
  timeoutMs?: number;
  /** Where the mapping reports failed invocations and polling errors; default stderr. */
  log?: (line: string) => void;
}

export interface RunningEventSourceMapping {
  /** Stops polling and waits for in-flight invocations (each bounded by timeoutMs). */
  stop(): Promise<void>;
  /** Number of handler invocations so far. */
  invocations(): number;
}

const SYSTEM_ATTRIBUTES = [
  "AWSTraceHeader",
  "SequenceNumber",
  "MessageGroupId",
  "MessageDeduplicationId",
  "DeadLetterQueueSourceArn",
] as const;

/** Builds one record of the Lambda SQS event from a received message. */
export function toSqsRecord(message: Message, eventSourceARN: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const record: SQSRecord = {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "000000000000",
      ApproximateFirstReceiveTimestamp:
        attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined
            ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }
            : {}),
          stringListValues: value.StringListValues ?? [],
          binaryListValues: (value.BinaryListValues ?? []).map((b) =>
            Buffer.from(b).toString("base64"),
          ),
          dataType: value.DataType ?? "String",
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN,
    awsRegion: eventSourceARN.split(":")[3] ?? "us-east-1",
  };
  for (const name of SYSTEM_ATTRIBUTES) {
    const value = attributes[name];
    if (value !== undefined) record.attributes[name] = value;
  }
  if (message.MD5OfMessageAttributes)
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/**
 * The message ids to keep in the queue after a successful invocation, or "all" when the response
 * is one Lambda treats as a complete batch failure (not an object, batchItemFailures not a list,
 * or an itemIdentifier that is empty or names no record of the batch).
 */
export function failedMessageIds(response: unknown, event: SQSEvent): Set<string> | "all" {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== "object" || Array.isArray(response)) return "all";
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return "all";
  const batchIds = new Set(event.Records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !batchIds.has(id)) return "all";
    failed.add(id);
  }
  return failed;
}

/** SQS requires a FIFO queue's name to end in ".fifo". */
function isFifo(queueUrl: string): boolean {
  return queueUrl.endsWith(".fifo");
}

/** arn:aws:sqs:<region>:<account>:<name>, read from the queue URL's last two path segments. */
function arnFromUrl(queueUrl: string): string {
  const [account = "000000000000", name = "queue"] = new URL(queueUrl).pathname
    .split("/")
    .filter(Boolean)
    .slice(-2);
  return `arn:aws:sqs:us-east-1:${account}:${name}`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Starts the pollers; they run until stop(). */
export function startEventSourceMapping(
  options: EventSourceMappingOptions,
): RunningEventSourceMapping {
  const { queueUrl, handler, sqsClient: sqs, functionName } = options;
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxInFlight = Math.max(concurrency, options.maxConcurrency ?? concurrency);
  const inFlight = new Set<Promise<void>>();
  const maxRecords = Math.max(batchSize, options.maxRecordsInFlight ?? concurrency * batchSize);
  let recordsInFlight = 0;
  const waitTimeSeconds = Math.min(20, Math.max(0, options.waitTimeSeconds ?? 1));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stopping = new AbortController();
  let invocations = 0;

  let arn: Promise<string> | undefined;
  const queueArn = () => {
    arn ??= sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
      .then((out) => out.Attributes?.QueueArn ?? arnFromUrl(queueUrl))
      .catch(() => arnFromUrl(queueUrl));
    return arn;
  };

  const deleteMessages = async (messages: Message[]) => {
    if (messages.length === 0) return;
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    if (out.Failed?.length) {
      log(`[${functionName}] could not delete ${out.Failed.length} processed record(s)`);
    }
  };

  /**
   * Hands messages received after stop() straight back to the queue. On a FIFO queue in reverse:
   * fauxqs puts each released message back at the front of its group, so releasing the last first
   * leaves a group's messages in their order.
   */
  const release = async (received: Message[]) => {
    const messages = isFifo(queueUrl) ? [...received].reverse() : received;
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch(() => undefined);
  };

  const invoke = async (messages: Message[]) => {
    invocations += 1;
    const eventSourceARN = await queueArn();
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, eventSourceARN)) };
    const context = createLambdaContext(functionName, timeoutMs);
    const outcome = await invokeWithTimeout(() => handler(event, context), timeoutMs);
    const size = messages.length;
    if (outcome.kind === "threw") {
      log(
        `[${functionName}] invocation failed (${describeError(outcome.error)}); ` +
          `${size} record(s) return after the visibility timeout`,
      );
      return;
    }
    if (outcome.kind === "timed-out") {
      log(
        `[${functionName}] invocation timed out after ${timeoutMs} ms; ` +
          `${size} record(s) return after the visibility timeout`,
      );
      return;
    }
    const failed = failedMessageIds(outcome.value, event);
    if (failed === "all") {
      log(
        `[${functionName}] invalid batch response (treated as a full batch failure); ` +
          `${size} record(s) return after the visibility timeout`,
      );
      return;
    }
    await deleteMessages(messages.filter((m) => !failed.has(m.MessageId ?? "")));
  };

  const poll = async () => {
    while (!stopping.signal.aborted) {
      // Room first: messages received are invisible to every other poller until settled.
      while (inFlight.size >= maxInFlight || recordsInFlight >= maxRecords) {
        await Promise.race(inFlight);
      }
      if (stopping.signal.aborted) return;
      // Reserved before the receive, so two pollers cannot both take the last room.
      const room = Math.min(batchSize, maxRecords - recordsInFlight);
      recordsInFlight += room;
      let messages: Message[];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: room,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: stopping.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        recordsInFlight -= room;
        if (stopping.signal.aborted) return;
        log(`[${functionName}] polling failed (${describeError(error)}); retrying in 1 s`);
        await sleep(1000, stopping.signal);
        continue;
      }
      recordsInFlight -= room - messages.length;
      if (messages.length === 0) continue;
      if (stopping.signal.aborted) {
        recordsInFlight -= messages.length;
        await release(messages);
        return;
      }
      const run = invoke(messages)
        .catch((error) => {
          log(`[${functionName}] could not settle a batch (${describeError(error)})`);
        })
        .finally(() => {
          recordsInFlight -= messages.length;
          inFlight.delete(run);
        });
      inFlight.add(run);
      // Without extra room this poller waits for its batch, one invocation at a time.
      if (maxInFlight === concurrency) await run;
    }
  };

  const pollers = Array.from({ length: concurrency }, () => poll());
  return {
    stop: async () => {
      stopping.abort();
      await Promise.allSettled(pollers);
      await Promise.allSettled([...inFlight]);
    },
    invocations: () => invocations,
  };
}
