import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { encodeQueueMessage } from "../core/messages.js";
import type { MessageQueue, RedeliveryControl, SendOptions } from "../core/ports.js";

/** SQS maximum per-message delay (AWS hard limit). */
const SQS_MAX_DELAY_SECONDS = 900;
/** SQS limits on MessageDeduplicationId and MessageGroupId: 1..128 characters. */
const SQS_MAX_ID_LENGTH = 128;

/** Sends JSON messages to one SQS queue, standard or FIFO (the options say which). */
export class SqsMessageQueue implements MessageQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(body: unknown, options: SendOptions = {}): Promise<void> {
    const delay = options.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > SQS_MAX_DELAY_SECONDS) {
      throw new RangeError(
        `delaySeconds must be a whole number 0..${SQS_MAX_DELAY_SECONDS}, got ${delay}`,
      );
    }
    checkId("deduplicationId", options.deduplicationId);
    checkId("groupId", options.groupId);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: encodeQueueMessage(body),
        // Omitted when 0: a FIFO queue refuses any per-message DelaySeconds parameter.
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
        ...(options.deduplicationId === undefined
          ? {}
          : { MessageDeduplicationId: options.deduplicationId }),
        ...(options.groupId === undefined ? {} : { MessageGroupId: options.groupId }),
      }),
    );
  }
}

/** SQS would refuse the call; a clear error here names the option instead. */
function checkId(name: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value.length < 1 || value.length > SQS_MAX_ID_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new RangeError(
      `${name} must be 1..${SQS_MAX_ID_LENGTH} printable ASCII characters (got ${value.length})`,
    );
  }
}

/** SQS caps a message's visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

/**
 * Sets when a received message comes back: the backoff of a worker that reports the record as
 * failed (partial batch response) instead of waiting out the queue's whole visibility timeout.
 * Only the workers that construct it call ChangeMessageVisibility, so only their IAM policies grant it
 * (test/infra/iamByUse.test.ts).
 */
export class SqsRedelivery implements RedeliveryControl {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

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
