import { ChangeMessageVisibilityCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { RedeliveryControl } from "../core/ports.js";

/** SQS caps a message's visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 3600;

/**
 * Sets when a received message comes back: the backoff of a worker that reports the record as
 * failed (partial batch response) instead of waiting out the queue's whole visibility timeout.
 * A file of its own so only the sender's code (and IAM policy) carries ChangeMessageVisibility.
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
