import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { MessageQueue, RedeliveryControl } from "../core/ports.js";

/** SQS maximum per-message delay (AWS hard limit). */
const SQS_MAX_DELAY_SECONDS = 900;
/** SQS caps a message's visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

/**
 * One SQS queue: sends JSON messages to it, and sets when a received message comes back (the
 * backoff of a worker that reports the record as failed in its partial batch response, instead
 * of waiting out the queue's whole visibility timeout).
 */
export class SqsMessageQueue implements MessageQueue, RedeliveryControl {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(body: unknown, options: { delaySeconds?: number } = {}): Promise<void> {
    const delay = options.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > SQS_MAX_DELAY_SECONDS) {
      throw new RangeError(
        `delaySeconds must be a whole number 0..${SQS_MAX_DELAY_SECONDS}, got ${delay}`,
      );
    }
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        // SQS refuses U+FFFE/U+FFFF (and fauxqs every astral character, emoji included): send
        // those as JSON \u escapes, which parse back to the same text.
        MessageBody: JSON.stringify(body).replace(
          /[\ud800-\udfff\ufffe\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16)}`,
        ),
        DelaySeconds: delay,
      }),
    );
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds))),
      }),
    );
  }
}
