import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/**
 * Runs `handleRecord` for every record of an SQS batch, in parallel, and answers Lambda's partial
 * batch response: a record whose handler throws is listed in batchItemFailures (the event source
 * mapping needs ReportBatchItemFailures) and comes back; the others are deleted.
 *
 * A fresh BatchProcessor per invocation: the processor keeps per-batch state, and the local stack
 * runs several invocations of one module concurrently (on Lambda there is one at a time).
 */
export async function processSqsBatch(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(event, handleRecord, processor, {
    context,
    // A fully failed batch is answered like any other, not thrown: same redelivery, clearer logs.
    throwOnFullBatchFailure: false,
  });
}

/** The record's ApproximateReceiveCount (1 on the first delivery). */
export function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/** An error's name and message for logs (never a stack with data in it). */
export function errorFields(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorName: "NonError", errorMessage: String(error) };
}
