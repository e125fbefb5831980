import { randomBytes } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { inject } from "vitest";
import { DEFAULTS, ENV } from "../../../lambdas/contract.js";
import type { RunningEventSourceMapping } from "../../../local/eventSourceMapping.js";
import type { ProvisionedResources } from "../../../local/provision.js";
import { type StackService, startLocalStack } from "../../../local/stack.js";
import type { VendorSimulator } from "../../../local/vendorSimulator.js";
import { type FaultProxy, startFaultProxy } from "../../support/faultProxy.js";

/**
 * The local stack (local/stack.ts) as the reliability tests need it, on the shared stand-ins of
 * test/support/globalSetup.ts:
 *
 * - the handlers reach DynamoDB Local, fauxqs, the Secrets Manager stand-in and the vendor
 *   simulator through fault proxies, so a test can cut a real service off the network;
 * - the workers start and stop on demand, so a test can look at a queue before it is consumed.
 *
 * The event source mappings poll fauxqs directly: they stand for Lambda's poller, which is AWS's
 * machinery rather than the function's own connection to SQS.
 */

export type Worker = "responder" | "sender";

export interface PipelineOptions {
  /** Reply rules (parsed JSON). */
  rules: unknown;
  /** Default 2 (short, so redeliveries come quickly). */
  visibilityTimeoutSeconds?: number;
  /** Default 5; also MAX_SEND_ATTEMPTS. */
  maxReceiveCount?: number;
  /**
   * IN_PROGRESS_TTL_SECONDS of the receiver's claims; default the production default (30). It
   * must outlast the receiver's slowest delivery: a shorter lease lets an identical delivery take
   * over a claim whose owner is still enqueueing (two jobs; the sent-markers still keep replies once).
   */
  inProgressTtlSeconds?: number;
  /** Extra handler env (e.g. MAX_SEND_ATTEMPTS). */
  env?: Record<string, string>;
  /** Invocation timeout of the workers; default 8000. */
  workerTimeoutMs?: number;
  /** Default 2000. */
  vendorTimeoutMs?: number;
  /**
   * Services that reset every connection while the handlers load, so what the functions read at
   * INIT (the sender's token warm-up) fails and nothing is cached. startPipeline waits until those
   * reads have given up (a quiet spell after the SDK's last retry), then brings the services up.
   */
  downDuringInit?: StackService[];
}

/** Longer than the SDK's retry backoff for its default 3 attempts (at most 100 + 200 ms). */
const INIT_QUIET_MS = 1500;
const INIT_CONNECT_TIMEOUT_MS = 10_000;

/** Resolves once a first connection was seen and none for INIT_QUIET_MS since. */
async function initReadsEnded(
  service: StackService,
  lastConnectionAt: () => number | undefined,
): Promise<void> {
  const deadline = Date.now() + INIT_CONNECT_TIMEOUT_MS;
  for (;;) {
    const last = lastConnectionAt();
    if (last !== undefined && Date.now() - last >= INIT_QUIET_MS) return;
    if (last === undefined && Date.now() > deadline) {
      throw new Error(`no handler connected to ${service} while loading (downDuringInit)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Pipeline {
  /** http://127.0.0.1:<port>/webhooks/whatsapp */
  receiverUrl: string;
  signingSecret: string;
  vendorToken: string;
  vendor: VendorSimulator;
  /** Between the handlers and each real service. */
  proxies: Record<StackService, FaultProxy>;
  resources: ProvisionedResources;
  /** The SDK env of the local stand-ins themselves (direct endpoints, no proxies). */
  awsEnv: Record<string, string>;
  /** The env the handlers were loaded with (for a worker in a child process). */
  handlerEnv: Record<string, string>;
  /** A client straight to fauxqs, for looking at queues. */
  sqs: SQSClient;
  receiver: (
    event: APIGatewayProxyEventV2,
    context: Context,
  ) => Promise<APIGatewayProxyStructuredResultV2>;
  responder: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  sender: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  startWorker(worker: Worker): RunningEventSourceMapping;
  stopWorkers(): Promise<void>;
  /** Lines the HTTP API stand-in and the mappings reported (failed invocations, polling errors). */
  stackLog: string[];
  stop(): Promise<void>;
}

/**
 * Starts a pipeline on the shared local AWS stand-ins, with its own prefixed tables, queues and
 * secrets. Sets process.env for the handlers; stop() restores all of process.env as it was (tests
 * may change it further while the pipeline runs).
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const savedEnv = { ...process.env };
  const stackLog: string[] = [];
  const proxies: Partial<Record<StackService, FaultProxy>> = {};
  const lastInitConnection: Partial<Record<StackService, number>> = {};
  const unwatchInit: (() => void)[] = [];
  const downDuringInit = new Set(options.downDuringInit);
  try {
    const stack = await startLocalStack({
      services: { awsEnv: inject("awsEnv") },
      prefix: `r${randomBytes(4).toString("hex")}-`,
      rules: options.rules,
      vendorToken: `vt_${randomBytes(24).toString("base64url")}`,
      signatureScheme: "auto",
      timing: {
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 2,
        maxReceiveCount: options.maxReceiveCount ?? 5,
        workerTimeoutMs: options.workerTimeoutMs ?? 8000,
        vendorTimeoutMs: options.vendorTimeoutMs ?? 2000,
      },
      env: {
        [ENV.inProgressTtlSeconds]: String(
          options.inProgressTtlSeconds ?? DEFAULTS.inProgressTtlSeconds,
        ),
        ...options.env,
      },
      wrapEndpoint: async (service, endpoint) => {
        const proxy = await startFaultProxy(endpoint);
        proxies[service] = proxy;
        if (downDuringInit.has(service)) {
          await proxy.setMode("reset");
          unwatchInit.push(
            proxy.onConnection(() => {
              lastInitConnection[service] = Date.now();
            }),
          );
        }
        return { endpoint: proxy.url, stop: () => proxy.stop() };
      },
      workers: "manual",
      log: (line) => {
        stackLog.push(line);
      },
    });
    const { responder, sender } = stack.workers;
    try {
      if (!responder || !sender) throw new Error("the pipeline needs both workers");
      for (const service of downDuringInit) {
        await initReadsEnded(service, () => lastInitConnection[service]);
        await proxies[service]?.setMode("up");
      }
      for (const unwatch of unwatchInit) unwatch();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return {
      receiverUrl: stack.receiverUrl,
      signingSecret: stack.signingSecret,
      vendorToken: stack.vendorToken,
      vendor: stack.vendor,
      proxies: proxies as Record<StackService, FaultProxy>,
      resources: stack.resources,
      awsEnv: stack.awsEnv,
      handlerEnv: stack.handlerEnv,
      sqs: stack.sqsClient,
      receiver: stack.handlers.receiver as Pipeline["receiver"],
      responder: responder.handler as Pipeline["responder"],
      sender: sender.handler as Pipeline["sender"],
      startWorker: (worker) => (worker === "responder" ? responder : sender).start(),
      stopWorkers: stack.stopWorkers,
      stackLog,
      stop: async () => {
        await stack.stop();
        process.env = savedEnv;
      },
    };
  } catch (error) {
    process.env = savedEnv;
    throw error;
  }
}
