import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface QueueWithDeadLetterArgs {
  /** At least 6× the consumer's timeout (see functionSizing.ts). */
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: number;
  /**
   * A FIFO queue and a FIFO DLQ (SQS requires the DLQ of a FIFO queue to be FIFO). Senders give
   * each message its deduplication id (content-based deduplication off) and group.
   */
  fifo?: boolean;
}

/**
 * The FIFO settings of a queue (pure, for tests); standard queues get none. No name: Pulumi
 * auto-names every queue, FIFO or not, from its logical name plus a random suffix, and the AWS
 * provider appends the ".fifo" SQS requires when fifoQueue is true
 * (test/fixtures/contracts/pulumi-aws/sqs-queue-autoname.go). A fixed name could not be created
 * again within 60 seconds of a destroy: SQS holds a deleted queue's name that long
 * (test/fixtures/contracts/aws/sqs-create-queue.md). Whatever needs a name reads the queue's
 * outputs (the stack outputs queueNames / queueUrls).
 */
function fifoQueueArgs(fifo: boolean): Partial<aws.sqs.QueueArgs> {
  if (!fifo) return {};
  return {
    fifoQueue: true,
    contentBasedDeduplication: false,
    // High-throughput FIFO: the send quota applies per message group (per contact), not to the
    // queue as a whole (300/s), so a burst of webhooks from many contacts is never throttled into
    // 503s. Deduplication per group loses nothing: the deduplication id (the message key) already
    // includes the contact. Same price as the default mode.
    deduplicationScope: "messageGroup",
    fifoThroughputLimit: "perMessageGroupId",
  };
}

/** SQS allows up to 14 days; a DLQ keeps its messages as long as possible for inspection. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/** Four days: far beyond any retry horizon of a healthy consumer (every reply hop is ≤ 900 s). */
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/**
 * SQS's largest message (1 MiB since 2025), set explicitly: a job carries the normalised webhook,
 * which can outgrow the receiver's body limit, and a job over the queue's limit would be refused
 * (503) on every vendor retry. Billing is per 64 KB chunk, so the ceiling costs nothing unused.
 */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * A work queue with its dead-letter queue: SSE with SQS-managed keys (no KMS grants needed),
 * redrive after `maxReceiveCount` receives, and a redrive-allow policy so only this queue can
 * use the DLQ (and messages can be redriven back).
 */
export class QueueWithDeadLetter extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: QueueWithDeadLetterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:queues:QueueWithDeadLetter", name, {}, opts);
    const fifo = fifoQueueArgs(args.fifo ?? false);
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        ...fifo,
        messageRetentionSeconds: DLQ_RETENTION_SECONDS,
        maxMessageSize: MAX_MESSAGE_BYTES,
        sqsManagedSseEnabled: true,
      },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        ...fifo,
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
        messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
        maxMessageSize: MAX_MESSAGE_BYTES,
        sqsManagedSseEnabled: true,
        redrivePolicy: this.deadLetterQueue.arn.apply((arn) =>
          JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: args.maxReceiveCount }),
        ),
      },
      { parent: this },
    );
    // A separate resource: the DLQ's policy names the source queue, which names the DLQ.
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-redrive-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: this.queue.arn.apply((arn) =>
          JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] }),
        ),
      },
      { parent: this },
    );
    this.registerOutputs({
      queueName: this.queue.name,
      deadLetterQueueName: this.deadLetterQueue.name,
    });
  }
}
