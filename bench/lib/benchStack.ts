import type { ProvisionedResources } from "../../local/provision.js";
import type { LocalServices } from "../../local/services/index.js";
import { startLocalStack } from "../../local/stack.js";
import type { VendorSimulator } from "../../local/vendorSimulator.js";
import { type CountingProxy, startCountingProxy } from "./countingProxy.js";

/**
 * The local stack (local/stack.ts) as the benchmarks use it: on one set of stand-ins shared across
 * benchmarks (each stack provisions its own prefixed tables, queues and secrets), optionally with
 * a counting proxy between the handlers and DynamoDB Local, and with workers started and stopped
 * between measurement phases.
 */

export interface BenchStackOptions {
  services: LocalServices;
  /** Resource name prefix, unique per stack. */
  prefix: string;
  /** Reply rules (REPLY_RULES); default none. */
  rules?: unknown;
  /** MAX_SQS_DELAY_SECONDS; default 900. */
  maxSqsDelaySeconds?: number;
  /** SIGNATURE_SCHEME; default auto. */
  signatureScheme?: string;
  /** Route the handlers' DynamoDB calls through a counting proxy (call and capacity tallies). */
  countDynamoDb?: boolean;
  /** Load the responder and sender too (startWorkers); default false. */
  withWorkers?: boolean;
}

export interface BenchStack {
  receiverUrl: string;
  vendor: VendorSimulator;
  resources: ProvisionedResources;
  signingSecret: string;
  signatureScheme: string;
  /** The proxy in front of DynamoDB Local, when countDynamoDb. */
  dynamoDbCounter?: CountingProxy;
  /** Starts the responder and sender event source mappings (withWorkers only). */
  startWorkers(): void;
  /** Stops them, waiting for in-flight invocations. */
  stopWorkers(): Promise<void>;
  /** Handler invocations per worker since the stack started. */
  workerInvocations(): Record<"responder" | "sender", number>;
  stop(): Promise<void>;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  let dynamoDbCounter: CountingProxy | undefined;
  const stack = await startLocalStack({
    services: options.services,
    prefix: options.prefix,
    rules: options.rules ?? [],
    maxSqsDelaySeconds: options.maxSqsDelaySeconds,
    signatureScheme: options.signatureScheme,
    logLevel: "INFO",
    workers: options.withWorkers ? "manual" : "none",
    wrapEndpoint: async (service, endpoint) => {
      if (service !== "dynamodb" || !options.countDynamoDb) return undefined;
      const counter = await startCountingProxy({ target: endpoint, measureCapacity: true });
      dynamoDbCounter = counter;
      return { endpoint: counter.endpoint, stop: () => counter.stop() };
    },
  });
  const { responder, sender } = stack.workers;
  return {
    receiverUrl: stack.receiverUrl,
    vendor: stack.vendor,
    resources: stack.resources,
    signingSecret: stack.signingSecret,
    signatureScheme: stack.signatureScheme,
    ...(dynamoDbCounter ? { dynamoDbCounter } : {}),
    startWorkers: () => {
      if (!responder || !sender) throw new Error("stack started without workers");
      if (responder.running() || sender.running()) return;
      responder.start();
      sender.start();
    },
    stopWorkers: stack.stopWorkers,
    workerInvocations: () => ({
      responder: responder?.invocations() ?? 0,
      sender: sender?.invocations() ?? 0,
    }),
    stop: stack.stop,
  };
}
