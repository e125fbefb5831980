import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import {
  DEFAULTS,
  ENV,
  FUNCTIONS,
  type FunctionName,
  WEBHOOK_ROUTE,
} from "../../lambdas/contract.js";
import {
  type RunningEventSourceMapping,
  startEventSourceMapping,
} from "../../local/eventSourceMapping.js";
import { type RunningHttpApiAdapter, startHttpApiAdapter } from "../../local/httpApiAdapter.js";
import { type ProvisionedResources, provisionLocalResources } from "../../local/provision.js";
import type { LocalServices } from "../../local/services/index.js";
import { LOCAL_TIMING } from "../../local/stack.js";
import { startVendorSimulator, type VendorSimulator } from "../../local/vendorSimulator.js";
import { type CountingProxy, startCountingProxy } from "./countingProxy.js";

/**
 * The pipeline wired as local/stack.ts wires it (HTTP API stand-in → receiver, jobs queue →
 * responder, replies queue → sender, vendor simulator), but assembled here because the
 * benchmarks need what startLocalStack keeps inside: the running stand-ins (for their call
 * counters), a counting proxy between the handlers and DynamoDB Local, and workers that can be
 * started and stopped between measurement phases. Shares one set of stand-ins across benchmarks
 * (each stack provisions its own prefixed tables, queues and secrets).
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

type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;
// biome-ignore lint/suspicious/noConfusingVoidType: handlers typed Promise<void> must fit too
type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** Event source mapping settings, the same as local/stack.ts uses. */
const WORKERS = {
  responder: { batchSize: 10, concurrency: 2, waitTimeSeconds: 1 },
  sender: { batchSize: 5, concurrency: 4, waitTimeSeconds: 1 },
} as const;

const HANDLERS_DIR = new URL("../../lambdas/handlers/", import.meta.url);
let importGeneration = 0;

/** Whether a handler module exists yet (the workers land after the receiver). */
export function handlerExists(fn: FunctionName): boolean {
  return existsSync(fileURLToPath(new URL(`${fn}.ts`, HANDLERS_DIR)));
}

/**
 * Imports a fresh copy of a handler module after its env is set, as Lambda's INIT does (the
 * caller sets POWERTOOLS_SERVICE_NAME to the function, so its log lines are told apart).
 */
async function importHandler<T>(fn: FunctionName, generation: number): Promise<T> {
  const url = `${pathToFileURL(fileURLToPath(new URL(`${fn}.ts`, HANDLERS_DIR))).href}?bench=${generation}`;
  const module = (await import(url)) as { handler?: unknown };
  if (typeof module.handler !== "function") throw new Error(`${fn} exports no handler`);
  return module.handler as T;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const { services } = options;
  const cleanups: (() => Promise<void>)[] = [];
  const savedEnv = new Map<string, string | undefined>();
  const setEnv = (values: Record<string, string>) => {
    for (const [key, value] of Object.entries(values)) {
      if (!savedEnv.has(key)) savedEnv.set(key, process.env[key]);
      process.env[key] = value;
    }
  };
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    for (const [key, value] of savedEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };

  try {
    const dynamoDbCounter = options.countDynamoDb
      ? await startCountingProxy({ target: services.dynamodb.endpoint, measureCapacity: true })
      : undefined;
    if (dynamoDbCounter) cleanups.push(() => dynamoDbCounter.stop());
    const awsEnv = {
      ...services.awsEnv,
      ...(dynamoDbCounter ? { AWS_ENDPOINT_URL_DYNAMODB: dynamoDbCounter.endpoint } : {}),
    };
    // The SDK reads region and endpoints at the first call, so they stay set while the stack runs.
    setEnv(awsEnv);

    const signingSecret = randomBytes(32).toString("base64url");
    const signatureScheme = options.signatureScheme ?? DEFAULTS.signatureScheme;
    const vendorToken = randomBytes(24).toString("base64url");
    const resources = await provisionLocalResources({
      awsEnv: services.awsEnv,
      prefix: options.prefix,
      signingSecret: JSON.stringify({ current: signingSecret }),
      vendorToken,
      visibilityTimeoutSeconds: LOCAL_TIMING.visibilityTimeoutSeconds,
      maxReceiveCount: LOCAL_TIMING.maxReceiveCount,
    });
    const vendor = await startVendorSimulator({ port: 0, token: vendorToken });
    cleanups.push(() => vendor.stop());

    setEnv({
      ...resources.env,
      [ENV.signatureScheme]: signatureScheme,
      [ENV.maxSqsDelaySeconds]: String(options.maxSqsDelaySeconds ?? DEFAULTS.maxSqsDelaySeconds),
      [ENV.replyRules]: JSON.stringify(options.rules ?? []),
      [ENV.waitingDurationSeconds]: String(LOCAL_TIMING.waitingDurationSeconds),
      [ENV.vendorBaseUrl]: vendor.url,
      [ENV.vendorSendPath]: DEFAULTS.vendorSendPath,
      [ENV.vendorAuthPrefix]: DEFAULTS.vendorAuthPrefix,
      [ENV.vendorPhoneFormat]: DEFAULTS.vendorPhoneFormat,
      [ENV.vendorTimeoutMs]: String(LOCAL_TIMING.vendorTimeoutMs),
      [ENV.logLevel]: "INFO",
    });

    importGeneration += 1;
    setEnv({ [ENV.serviceName]: FUNCTIONS.receiver });
    const receiver = await importHandler<ApiHandler>(FUNCTIONS.receiver, importGeneration);
    const workerHandlers: {
      fn: "responder" | "sender";
      handler: QueueHandler;
      queueUrl: string;
    }[] = [];
    if (options.withWorkers) {
      for (const [fn, queueUrl] of [
        [FUNCTIONS.responder, resources.queues.jobs],
        [FUNCTIONS.sender, resources.queues.replies],
      ] as const) {
        setEnv({ [ENV.serviceName]: fn });
        workerHandlers.push({
          fn,
          handler: await importHandler<QueueHandler>(fn, importGeneration),
          queueUrl,
        });
      }
    }

    const api: RunningHttpApiAdapter = await startHttpApiAdapter({
      port: 0,
      routes: [
        {
          method: WEBHOOK_ROUTE.method,
          path: WEBHOOK_ROUTE.path,
          functionName: FUNCTIONS.receiver,
          handler: receiver,
        },
      ],
      timeoutMs: LOCAL_TIMING.receiverTimeoutMs,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    cleanups.push(() => api.stop());

    // The pollers' own client goes straight to fauxqs: their calls are counted there.
    const sqsClient = new SQSClient({
      endpoint: services.awsEnv.AWS_ENDPOINT_URL_SQS,
      region: services.awsEnv.AWS_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      useQueueUrlAsEndpoint: false,
    });
    cleanups.push(async () => sqsClient.destroy());

    let mappings: { fn: "responder" | "sender"; mapping: RunningEventSourceMapping }[] = [];
    const invocations = { responder: 0, sender: 0 };
    const stopWorkers = async () => {
      const running = mappings;
      mappings = [];
      await Promise.all(running.map(({ mapping }) => mapping.stop()));
      for (const { fn, mapping } of running) invocations[fn] += mapping.invocations();
    };
    cleanups.push(stopWorkers);

    return {
      receiverUrl: `${api.url}${WEBHOOK_ROUTE.path}`,
      vendor,
      resources,
      signingSecret,
      signatureScheme,
      ...(dynamoDbCounter ? { dynamoDbCounter } : {}),
      startWorkers: () => {
        if (!options.withWorkers) throw new Error("stack started without workers");
        if (mappings.length) return;
        mappings = workerHandlers.map(({ fn, handler, queueUrl }) => ({
          fn,
          mapping: startEventSourceMapping({
            queueUrl,
            handler,
            sqsClient,
            functionName: fn,
            timeoutMs: LOCAL_TIMING.workerTimeoutMs,
            log: (line) => process.stderr.write(`${line}\n`),
            ...WORKERS[fn],
          }),
        }));
      },
      stopWorkers,
      workerInvocations: () => {
        const live = { ...invocations };
        for (const { fn, mapping } of mappings) live[fn] += mapping.invocations();
        return live;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
