import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type EventSourceMappingOptions,
  type RunningEventSourceMapping,
  startEventSourceMapping,
} from "./eventSourceMapping.js";
import type { QueueHandler } from "./handlerModules.js";

/** The two queue-driven functions. */
export type WorkerName = "responder" | "sender";

/**
 * One worker function of a local stack (its loaded handler and queue) with handles to run it:
 * each start() adds an event source mapping with the stack's settings, as Lambda scales pollers.
 */
export interface LocalWorker {
  readonly fn: WorkerName;
  readonly queueUrl: string;
  readonly handler: QueueHandler;
  /** Starts one more event source mapping on the worker's queue. */
  start(): RunningEventSourceMapping;
  /** Stops the worker's mappings, waiting for in-flight invocations. */
  stop(): Promise<void>;
  /** Whether any of its mappings is polling. */
  running(): boolean;
  /** Handler invocations so far, over every mapping it ran (stopped ones included). */
  invocations(): number;
}

export type WorkerMappingSettings = Omit<
  EventSourceMappingOptions,
  "queueUrl" | "handler" | "functionName" | "sqsClient"
>;

/** A worker whose mappings poll through `sqsClient` with `settings`. */
export function localWorker(options: {
  fn: WorkerName;
  queueUrl: string;
  handler: QueueHandler;
  sqsClient: SQSClient;
  settings: WorkerMappingSettings;
}): LocalWorker {
  const { fn, queueUrl, handler, sqsClient, settings } = options;
  let mappings: RunningEventSourceMapping[] = [];
  const everStarted: RunningEventSourceMapping[] = [];
  return {
    fn,
    queueUrl,
    handler,
    start: () => {
      const mapping = startEventSourceMapping({
        queueUrl,
        handler,
        sqsClient,
        functionName: fn,
        ...settings,
      });
      mappings.push(mapping);
      everStarted.push(mapping);
      return mapping;
    },
    stop: async () => {
      const stopping = mappings;
      mappings = [];
      await Promise.all(stopping.map((mapping) => mapping.stop()));
    },
    running: () => mappings.length > 0,
    invocations: () => everStarted.reduce((sum, mapping) => sum + mapping.invocations(), 0),
  };
}
