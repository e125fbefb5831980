import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { encodeQueueMessage } from "../core/messages.js";
import type { MessageQueue } from "../core/ports.js";

/** SQS maximum per-message delay (AWS hard limit). */
const SQS_MAX_DELAY_SECONDS = 900;

/** Sends JSON messages to one SQS queue. */
export class SqsMessageQueue implements MessageQueue {
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
        MessageBody: encodeQueueMessage(body),
        DelaySeconds: delay,
      }),
    );
  }
}
