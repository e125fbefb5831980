import { randomBytes } from "node:crypto";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import {
  DEFAULTS,
  ENV,
  FUNCTIONS,
  type IngressKind,
  REPLY_POLICY_ENV,
  WEBHOOK_ROUTE,
} from "../lambdas/contract.js";
import type { Clock } from "../lambdas/core/ports.js";
import { parseReplyRules } from "../lambdas/core/replyRules.js";
import {
  createReceiverHandler,
  type ReceiverHandler,
  readReceiverConfig,
  receiverDeps,
} from "../lambdas/functions/receiver.js";
import {
  createResponderHandler,
  readResponderConfig,
  responderDeps,
} from "../lambdas/functions/responder.js";
import { createSenderHandler, readSenderConfig, senderDeps } from "../lambdas/functions/sender.js";
import type { Env } from "../lambdas/runtime/lambda.js";
import {
  type EventSourceMappingOptions,
  type RunningEventSourceMapping,
  startEventSourceMapping,
} from "./eventSourceMapping.js";
import { type RunningHttpApiAdapter, startHttpApiAdapter } from "./httpApiAdapter.js";
import { dataDirectories } from "./persistence.js";
import { type ProvisionedResources, provisionLocalResources } from "./provision.js";
import { readDefaultRules } from "./rulesFile.js";
import { type LocalServices, startLocalServices } from "./services/index.js";
import { startVendorSimulator, type VendorSimulator } from "./vendorSimulator.js";

/**
 * The whole pipeline on one machine, in one process: the AWS stand-ins, the resources the Pulumi
 * program would create, the vendor simulator, and the three Lambda handlers wired the way AWS
 * wires them (HTTP API → receiver, jobs queue → responder, replies queue → sender).
 *
 * This is the one harness for the pipeline: `npm start`, `npm run demo`, the integration and
 * reliability tests and the benchmarks all start it, with the options below: stand-ins shared
 * across stacks, proxies between the handlers and a service, workers started and stopped on
 * demand. Each handler is built the way its Lambda entry module builds it
 * (lambdas/handlers/<fn>.ts), from an explicit environment instead of process.env.
 */

/** A worker's handler: an SQS batch in, the failed records out. */
export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Each function's handler from an explicit environment: the same three calls its Lambda entry
 * module (lambdas/handlers/<fn>.ts) makes with process.env.
 */
export const HANDLER_FACTORIES = {
  receiver: (env: Env, clock?: Clock): ReceiverHandler =>
    createReceiverHandler(receiverDeps(readReceiverConfig(env), clock)),
  responder: (env: Env, clock?: Clock): QueueHandler =>
    createResponderHandler({
      ...responderDeps(readResponderConfig(env)),
      ...(clock ? { clock } : {}),
    }),
  sender: (env: Env, clock?: Clock): QueueHandler =>
    createSenderHandler({ ...senderDeps(readSenderConfig(env)), ...(clock ? { clock } : {}) }),
} as const;

/** The two queue-driven functions. */
export type WorkerName = "responder" | "sender";

/**
 * Local timing. AWS runs the receiver with a 10 s timeout and the workers with longer ones whose
 * queues hold messages 6× that long (infra/functionSizing.ts). Locally a failed message should
 * come back within seconds, so the queues use a 10 s visibility timeout and the workers an 8 s
 * invocation timeout: still below the visibility timeout, so a slow invocation never overlaps its
 * own redelivery.
 */
export const LOCAL_TIMING = {
  visibilityTimeoutSeconds: 10,
  maxReceiveCount: 5,
  receiverTimeoutMs: 10_000,
  workerTimeoutMs: 8_000,
  vendorTimeoutMs: 3_000,
  /** One HTTP reply policy call; a local endpoint answers at once or not at all. */
  replyPolicyTimeoutMs: 2_000,
  /** 60 days, the vendor's longest waiting_duration preset: any valid rules file fits. */
  waitingDurationSeconds: 5_184_000,
} as const;

type LocalTiming = { -readonly [K in keyof typeof LOCAL_TIMING]: number };

/**
 * Event source mapping settings: sub-second waits happen inside the sender, so give it room. The
 * responder's batches run side by side (up to 10 invocations and 40 jobs, as Lambda scales a FIFO
 * queue's mapping with its active message groups), so a batch waiting on a slow HTTP policy does
 * not hold back the next contacts' jobs; the sender's stay two at a time (its AWS mapping's
 * maximumConcurrency guards the vendor's rate limit).
 */
const WORKERS = {
  responder: {
    batchSize: 10,
    concurrency: 2,
    maxConcurrency: 10,
    maxRecordsInFlight: 40,
    waitTimeSeconds: 1,
  },
  sender: { batchSize: 5, concurrency: 4, waitTimeSeconds: 1 },
} as const;

/** The services the handlers talk to over the network. */
export type StackService = "dynamodb" | "sqs" | "secretsManager" | "scheduler" | "vendor";

/** Something put between the handlers and a service (a fault proxy, a counting proxy). */
interface WrappedEndpoint {
  /** Where the handlers connect instead. */
  endpoint: string;
  /** Called when the stack stops (after the handlers are done with it). */
  stop?(): Promise<void>;
}

/** Stand-ins that are already running: only their SDK env is needed (LocalServices fits). */
interface ServiceEndpoints {
  awsEnv: Record<string, string>;
}

const SDK_ENDPOINT_ENV: Record<Exclude<StackService, "vendor">, string> = {
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  sqs: "AWS_ENDPOINT_URL_SQS",
  secretsManager: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
  scheduler: "AWS_ENDPOINT_URL_SCHEDULER",
};

export interface LocalStackOptions {
  /** Receiver port on 127.0.0.1; default 0 = any free port. */
  port?: number;
  /** The entrance whose events the receiver gets (`--ingress`); default the HTTP API's, as deployed. */
  ingress?: IngressKind;
  /** Vendor simulator port on 127.0.0.1; default 0 = any free port. */
  vendorPort?: number;
  /** Parsed reply rules JSON; default local/defaultRules.json (no rules if that is absent). */
  rules?: unknown;
  /** Longest single SQS delay hop; default 900. */
  maxSqsDelaySeconds?: number;
  /** Human takeover pause in seconds (`--human-pause`); default 3600, 0 = off. */
  humanPauseSeconds?: number;
  /** Webhook signing secret; default a random one (read it back from `signingSecret`). */
  signingSecret?: string;
  /** SIGNATURE_SCHEME for the receiver; default "auto". */
  signatureScheme?: string;
  /** Where the stack's own lines go (startup, failed invocations); default stderr. */
  log?: (line: string) => void;
  /** POWERTOOLS_LOG_LEVEL for the handlers; default $POWERTOOLS_LOG_LEVEL or "INFO". */
  logLevel?: string;
  /**
   * Stand-ins already running (e.g. shared by several stacks in turn); the stack uses them and
   * leaves them running. Default: start a fresh set and stop it with the stack.
   */
  services?: ServiceEndpoints;
  /** Name prefix of the tables, queues and secrets; default "local-". */
  prefix?: string;
  /** The vendor API token (local only; never log it); default a random one. */
  vendorToken?: string;
  /** Changes to LOCAL_TIMING (queue redrive, timeouts); maxReceiveCount also caps send attempts. */
  timing?: Partial<LocalTiming>;
  /**
   * An HTTP reply policy (`npm start -- --policy-url`): messages no rule matches are sent to
   * `url`, signed with `secret` (`whsec_<base64>`, stored in the Secrets Manager stand-in).
   */
  replyPolicy?: { url: string; secret: string };
  /** Extra handler env, applied last (e.g. SECRET_CACHE_SECONDS). */
  env?: Record<string, string>;
  /**
   * Puts something between the handlers and a service: gets the service's own endpoint, returns
   * the one the handlers use instead (undefined: connect directly). The event source mappings
   * stand for Lambda's own pollers and always reach fauxqs directly.
   */
  wrapEndpoint?: (service: StackService, endpoint: string) => Promise<WrappedEndpoint | undefined>;
  /**
   * Keep DynamoDB Local's tables in `<dataDir>/dynamodb` and fauxqs's queues in `<dataDir>/sqs`
   * across restarts (default: in memory; local/persistence.ts). Ignored with `services`.
   */
  dataDir?: string;
  /**
   * The handlers' clock (acceptance, placement, sending), and the Scheduler stand-in's when the
   * stack starts its own services
   * (default: real time). A jump clock (local/jumpClock.ts) compresses days: a far reply's
   * schedule fires as soon as the clock is moved past it.
   */
  clock?: Clock;
  /**
   * The responder and sender: "start" (default) polls their queues as soon as the stack is up;
   * "manual" builds them and leaves starting to `workers.<name>.start()`; "none" does not build them.
   */
  workers?: "start" | "manual" | "none";
}

export interface LocalStack {
  /** http://127.0.0.1:<port>/webhooks/whatsapp */
  receiverUrl: string;
  /** http://127.0.0.1:<port> */
  vendorUrl: string;
  vendor: VendorSimulator;
  resources: ProvisionedResources;
  /** The signing secret the receiver verifies against (local only; never log it). */
  signingSecret: string;
  signatureScheme: string;
  /** The vendor API token the sender sends (local only; never log it). */
  vendorToken: string;
  /** The SDK env of the stand-ins themselves (direct endpoints, no wrappers). */
  awsEnv: Record<string, string>;
  /** The env the handlers were built from (wrapped endpoints), e.g. for a worker elsewhere. */
  handlerEnv: Record<string, string>;
  /** The handler functions (a worker is absent when it was not built). */
  handlers: { receiver: ReceiverHandler } & Partial<Record<WorkerName, QueueHandler>>;
  /** The workers and the handles that run their event source mappings. */
  workers: Partial<Record<WorkerName, LocalWorker>>;
  /** The client the event source mappings poll with (straight to fauxqs). */
  sqsClient: SQSClient;
  /** Stops every worker's mappings, waiting for in-flight invocations. */
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts everything; on failure stops whatever had started and rethrows. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timing: LocalTiming = { ...LOCAL_TIMING, ...options.timing };
  const workerMode = options.workers ?? "start";
  const rules = options.rules ?? readDefaultRules();
  if (rules === undefined) {
    log("local stack: no --rules and no local/defaultRules.json: no message will be answered");
  }
  // Fail before anything starts: bad rules.
  parseReplyRules(rules ?? [], { waitingDurationSeconds: timing.waitingDurationSeconds });

  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };

  try {
    const signingSecret = options.signingSecret ?? randomBytes(32).toString("base64url");
    const signatureScheme = options.signatureScheme ?? DEFAULTS.signatureScheme;
    const vendorToken = options.vendorToken ?? randomBytes(24).toString("base64url");

    let services: ServiceEndpoints | undefined = options.services;
    if (!services) {
      const directories = options.dataDir ? await dataDirectories(options.dataDir) : undefined;
      const started: LocalServices = await startLocalServices({
        dynamoDbPath: directories?.dynamodb,
        sqsPath: directories?.sqs,
        schedulerPath: directories?.scheduler,
        now: options.clock?.now,
      });
      cleanups.push(() => started.stop());
      services = started;
    }
    const { awsEnv } = services;
    const resources = await provisionLocalResources({
      awsEnv,
      prefix: options.prefix ?? "local-",
      signingSecret: JSON.stringify({ current: signingSecret }),
      vendorToken,
      replyPolicySecret: options.replyPolicy?.secret,
      visibilityTimeoutSeconds: timing.visibilityTimeoutSeconds,
      maxReceiveCount: timing.maxReceiveCount,
    });
    const vendor = await startVendorSimulator({
      port: options.vendorPort ?? 0,
      token: vendorToken,
    });
    cleanups.push(() => vendor.stop());

    // Where the handlers connect: each service directly, or through what wrapEndpoint puts there.
    const handlerEndpoint = async (service: StackService, endpoint: string) => {
      const wrapped = await options.wrapEndpoint?.(service, endpoint);
      if (!wrapped) return endpoint;
      if (wrapped.stop) cleanups.push(wrapped.stop);
      return wrapped.endpoint;
    };
    const sdkEndpoints: Record<string, string> = {};
    for (const [service, key] of Object.entries(SDK_ENDPOINT_ENV)) {
      sdkEndpoints[key] = await handlerEndpoint(service as StackService, awsEnv[key] as string);
    }
    const vendorBaseUrl = await handlerEndpoint("vendor", vendor.url);

    const handlerEnv: Record<string, string> = {
      ...awsEnv,
      ...sdkEndpoints,
      ...resources.env,
      [ENV.signatureScheme]: signatureScheme,
      [ENV.maxSqsDelaySeconds]: String(options.maxSqsDelaySeconds ?? DEFAULTS.maxSqsDelaySeconds),
      [ENV.replyRules]: JSON.stringify(rules ?? []),
      [ENV.humanPauseSeconds]: String(options.humanPauseSeconds ?? DEFAULTS.humanPauseSeconds),
      [ENV.waitingDurationSeconds]: String(timing.waitingDurationSeconds),
      [ENV.vendorBaseUrl]: vendorBaseUrl,
      [ENV.vendorSendPath]: DEFAULTS.vendorSendPath,
      [ENV.vendorAuthPrefix]: DEFAULTS.vendorAuthPrefix,
      [ENV.vendorPhoneFormat]: DEFAULTS.vendorPhoneFormat,
      [ENV.vendorTimeoutMs]: String(timing.vendorTimeoutMs),
      // The sender gives up when SQS is about to move the reply to the DLQ.
      [ENV.maxSendAttempts]: String(timing.maxReceiveCount),
      [ENV.logLevel]: options.logLevel ?? process.env[ENV.logLevel] ?? "INFO",
      ...(options.replyPolicy && resources.secrets.replyPolicy
        ? {
            // What infra gives the responder of a stack with `replyPolicyUrl`.
            [REPLY_POLICY_ENV.url]: options.replyPolicy.url,
            [REPLY_POLICY_ENV.secretId]: resources.secrets.replyPolicy,
            [REPLY_POLICY_ENV.timeoutMs]: String(timing.replyPolicyTimeoutMs),
            [REPLY_POLICY_ENV.maxAttempts]: String(timing.maxReceiveCount),
          }
        : {}),
      // As infra: the responder sends a job that can never succeed to the jobs DLQ at once.
      [ENV.jobsDeadLetterQueueUrl]: resources.queues.jobsDlq,
      ...options.env,
    };
    // Each function's own env, as infra gives each Lambda its own (its logger's service name).
    const envOf = (fn: keyof typeof HANDLER_FACTORIES) => ({
      ...handlerEnv,
      [ENV.serviceName]: fn,
    });
    const receiver = HANDLER_FACTORIES.receiver(envOf(FUNCTIONS.receiver), options.clock);

    const sqsClient = new SQSClient({
      endpoint: awsEnv.AWS_ENDPOINT_URL_SQS,
      region: awsEnv.AWS_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      useQueueUrlAsEndpoint: false,
    });
    cleanups.push(async () => sqsClient.destroy());

    const workers: Partial<Record<WorkerName, LocalWorker>> = {};
    const handlers: LocalStack["handlers"] = { receiver };
    if (workerMode !== "none") {
      for (const [fn, queueUrl] of [
        [FUNCTIONS.responder, resources.queues.jobs],
        [FUNCTIONS.sender, resources.queues.replies],
      ] as const) {
        const handler = HANDLER_FACTORIES[fn](envOf(fn), options.clock);
        handlers[fn] = handler;
        workers[fn] = localWorker({
          fn,
          queueUrl,
          handler,
          sqsClient,
          settings: { ...WORKERS[fn], timeoutMs: timing.workerTimeoutMs, log },
        });
      }
    }
    const stopWorkers = async () => {
      await Promise.all(Object.values(workers).map((worker) => worker?.stop()));
    };
    cleanups.push(stopWorkers);
    if (workerMode === "start") for (const worker of Object.values(workers)) worker?.start();

    const api: RunningHttpApiAdapter = await startHttpApiAdapter({
      port: options.port ?? 0,
      ingress: options.ingress,
      routes: [
        {
          method: WEBHOOK_ROUTE.method,
          path: WEBHOOK_ROUTE.path,
          functionName: FUNCTIONS.receiver,
          handler: receiver,
        },
      ],
      timeoutMs: timing.receiverTimeoutMs,
      log,
    });
    cleanups.push(() => api.stop());

    let stopping: Promise<void> | undefined;
    return {
      receiverUrl: `${api.url}${WEBHOOK_ROUTE.path}`,
      vendorUrl: vendor.url,
      vendor,
      resources,
      signingSecret,
      signatureScheme,
      vendorToken,
      awsEnv,
      handlerEnv,
      handlers,
      workers,
      sqsClient,
      stopWorkers,
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * One worker function of a local stack (its handler and queue) with handles to run it: each
 * start() adds an event source mapping with the stack's settings, as Lambda scales pollers.
 */
interface LocalWorker {
  readonly fn: WorkerName;
  readonly queueUrl: string;
  readonly handler: QueueHandler;
  /**
   * Starts one more event source mapping on the worker's queue, invoking `handler` (default the
   * worker's own): a test may put a gate in front of it (test/support/senderHold.ts).
   */
  start(handler?: QueueHandler): RunningEventSourceMapping;
  /** Stops the worker's mappings, waiting for in-flight invocations. */
  stop(): Promise<void>;
  /** Whether any of its mappings is polling. */
  running(): boolean;
  /** Handler invocations so far, over every mapping it ran (stopped ones included). */
  invocations(): number;
}

type WorkerMappingSettings = Omit<
  EventSourceMappingOptions,
  "queueUrl" | "handler" | "functionName" | "sqsClient"
>;

function localWorker(options: {
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
    start: (invoked = handler) => {
      const mapping = startEventSourceMapping({
        queueUrl,
        handler: invoked,
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
