import { randomBytes } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { inject } from "vitest";
import { DEFAULTS, ENV, WEBHOOK_ROUTE } from "../../../lambdas/contract.js";
import {
  type RunningEventSourceMapping,
  startEventSourceMapping,
} from "../../../local/eventSourceMapping.js";
import { type RunningHttpApiAdapter, startHttpApiAdapter } from "../../../local/httpApiAdapter.js";
import { type ProvisionedResources, provisionLocalResources } from "../../../local/provision.js";
import { startVendorSimulator, type VendorSimulator } from "../../../local/vendorSimulator.js";
import { type FaultProxy, startFaultProxy } from "../../support/faultProxy.js";
import { localSqsClient } from "./queues.js";

/**
 * The whole pipeline in one test process, built from the same pieces as local/stack.ts (HTTP API
 * stand-in → receiver, jobs queue → responder, replies queue → sender, vendor simulator), with
 * two differences the reliability tests need:
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
  visibilityTimeoutSeconds?: number;
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
  vendorTimeoutMs?: number;
}

export interface Pipeline {
  /** http://127.0.0.1:<port>/webhooks/whatsapp */
  receiverUrl: string;
  signingSecret: string;
  vendorToken: string;
  vendor: VendorSimulator;
  /** Between the handlers and each real service. */
  proxies: {
    dynamodb: FaultProxy;
    sqs: FaultProxy;
    secretsManager: FaultProxy;
    vendor: FaultProxy;
  };
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

const HANDLERS = fileURLToPath(new URL("../../../lambdas/handlers/", import.meta.url));
let generation = 0;

async function importHandler<T>(name: string): Promise<T> {
  // A fresh module per pipeline: handlers read their env and build clients at module scope.
  const url = `${pathToFileURL(`${HANDLERS}${name}.ts`).href}?pipeline=${generation}`;
  process.env[ENV.serviceName] = name;
  const module = (await import(url)) as { handler: T };
  return module.handler;
}

/**
 * Starts a pipeline on the shared local AWS stand-ins (test/support/globalSetup.ts), with its own
 * prefixed tables, queues and secrets. Sets process.env for the handlers; stop() restores it.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const awsEnv = inject("awsEnv");
  const savedEnv = { ...process.env };
  const cleanups: (() => Promise<void>)[] = [];
  const stackLog: string[] = [];
  const log = (line: string) => {
    stackLog.push(line);
  };
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    process.env = savedEnv;
  };
  try {
    generation += 1;
    const signingSecret = randomBytes(32).toString("base64url");
    const vendorToken = `vt_${randomBytes(24).toString("base64url")}`;
    const prefix = `r${randomBytes(4).toString("hex")}-`;
    // The SDK resolves region and endpoints at the first call: provisioning needs them in env.
    Object.assign(process.env, awsEnv);
    const resources = await provisionLocalResources({
      awsEnv,
      prefix,
      signingSecret: JSON.stringify({ current: signingSecret }),
      vendorToken,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 2,
      maxReceiveCount: options.maxReceiveCount ?? 5,
    });
    const vendor = await startVendorSimulator({ token: vendorToken });
    cleanups.push(() => vendor.stop());
    const proxies = {
      dynamodb: await startFaultProxy(awsEnv.AWS_ENDPOINT_URL_DYNAMODB as string),
      sqs: await startFaultProxy(awsEnv.AWS_ENDPOINT_URL_SQS as string),
      secretsManager: await startFaultProxy(awsEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER as string),
      vendor: await startFaultProxy(vendor.url),
    };
    for (const proxy of Object.values(proxies)) cleanups.push(() => proxy.stop());

    const handlerEnv: Record<string, string> = {
      ...awsEnv,
      AWS_ENDPOINT_URL_DYNAMODB: proxies.dynamodb.url,
      AWS_ENDPOINT_URL_SQS: proxies.sqs.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: proxies.secretsManager.url,
      ...resources.env,
      [ENV.signatureScheme]: "auto",
      [ENV.inProgressTtlSeconds]: String(
        options.inProgressTtlSeconds ?? DEFAULTS.inProgressTtlSeconds,
      ),
      [ENV.replyRules]: JSON.stringify(options.rules),
      [ENV.waitingDurationSeconds]: String(5_184_000),
      [ENV.maxSqsDelaySeconds]: String(DEFAULTS.maxSqsDelaySeconds),
      [ENV.vendorBaseUrl]: proxies.vendor.url,
      [ENV.vendorSendPath]: DEFAULTS.vendorSendPath,
      [ENV.vendorAuthPrefix]: DEFAULTS.vendorAuthPrefix,
      [ENV.vendorPhoneFormat]: DEFAULTS.vendorPhoneFormat,
      [ENV.vendorTimeoutMs]: String(options.vendorTimeoutMs ?? 2000),
      [ENV.maxSendAttempts]: String(options.maxReceiveCount ?? 5),
      [ENV.logLevel]: process.env[ENV.logLevel] ?? "INFO",
      ...options.env,
    };
    Object.assign(process.env, handlerEnv);

    const receiver = await importHandler<Pipeline["receiver"]>("receiver");
    const responder = await importHandler<Pipeline["responder"]>("responder");
    const sender = await importHandler<Pipeline["sender"]>("sender");

    const sqs = localSqsClient(awsEnv.AWS_ENDPOINT_URL_SQS);
    cleanups.push(async () => sqs.destroy());

    const mappings: RunningEventSourceMapping[] = [];
    const stopWorkers = async () => {
      await Promise.all(mappings.splice(0).map((mapping) => mapping.stop()));
    };
    cleanups.push(stopWorkers);
    const startWorker = (worker: Worker) => {
      const mapping = startEventSourceMapping({
        queueUrl: worker === "responder" ? resources.queues.jobs : resources.queues.replies,
        handler: worker === "responder" ? responder : sender,
        sqsClient: sqs,
        functionName: worker,
        batchSize: worker === "responder" ? 10 : 5,
        concurrency: worker === "responder" ? 2 : 4,
        waitTimeSeconds: 1,
        timeoutMs: options.workerTimeoutMs ?? 8000,
        log,
      });
      mappings.push(mapping);
      return mapping;
    };

    const api: RunningHttpApiAdapter = await startHttpApiAdapter({
      routes: [{ ...WEBHOOK_ROUTE, functionName: "receiver", handler: receiver }],
      timeoutMs: 10_000,
      log,
    });
    cleanups.push(() => api.stop());

    return {
      receiverUrl: `${api.url}${WEBHOOK_ROUTE.path}`,
      signingSecret,
      vendorToken,
      vendor,
      proxies,
      resources,
      awsEnv,
      handlerEnv,
      sqs,
      receiver,
      responder,
      sender,
      startWorker,
      stopWorkers,
      stackLog,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
