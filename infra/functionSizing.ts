import type { FunctionName } from "../lambdas/contract.js";

/**
 * Timeouts and memory of the three functions, and the queue settings that follow from them.
 * Constants rather than config: each number has a reason, and the queues depend on them.
 */
export const FUNCTION_SIZING: Record<FunctionName, { timeoutSeconds: number; memoryMb: number }> = {
  /** The vendor wants a 2xx within 10 s; the receiver answers in well under one. */
  receiver: { timeoutSeconds: 10, memoryMb: 512 },
  /** Conversation writes and a batch of up to 10 jobs. */
  responder: { timeoutSeconds: 30, memoryMb: 256 },
  /** Up to 5 sends per batch, each bounded by VENDOR_TIMEOUT_MS. */
  sender: { timeoutSeconds: 60, memoryMb: 256 },
};

/** SQS event source settings of the two workers. */
export const QUEUE_TRIGGERS = {
  responder: { batchSize: 10 },
  /** Small batches: a slow vendor holds up fewer messages. */
  sender: { batchSize: 5 },
} as const;

/**
 * AWS: the queue's visibility timeout should be at least 6× the consumer's timeout (plus its
 * batching window), so a message is not redelivered while an invocation still works on it
 * (sqs-configure-lambda-function-trigger).
 */
export function visibilityTimeoutFor(fn: FunctionName, batchingWindowSeconds = 0): number {
  return 6 * FUNCTION_SIZING[fn].timeoutSeconds + batchingWindowSeconds;
}
