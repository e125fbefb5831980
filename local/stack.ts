import { randomBytes } from "node:crypto";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULTS, ENV, FUNCTIONS, type FunctionName, WEBHOOK_ROUTE } from "../lambdas/contract.js";
import { parseReplyRules } from "../lambdas/core/replyRules.js";
import {
  type ApiHandler,
  HandlerModuleError,
  handlerFile,
  importHandler,
  nextHandlerGeneration,
  type QueueHandler,
} from "./handlerModules.js";
import { type RunningHttpApiAdapter, startHttpApiAdapter } from "./httpApiAdapter.js";
import { type LocalWorker, localWorker, type WorkerName } from "./localWorker.js";
import { dynamoDbDirectory } from "./persistence.js";
import { type ProvisionedResources, provisionLocalResources } from "./provision.js";
import { readDefaultRules } from "./rulesFile.js";
import { type LocalServices, startLocalServices } from "./services/index.js";
import { startVendorSimulator, type VendorSimulator } from "./vendorSimulator.js";

export type { LocalWorker, WorkerName };
export { HandlerModuleError };

/**
 * The whole pipeline on one machine, in one process: the AWS stand-ins, the resources the Pulumi
 * program would create, the vendor simulator, and the three Lambda handlers wired the way AWS
 * wires them (HTTP API → receiver, jobs queue → responder, replies queue → sender).
 *
 * `npm start`, `npm run demo` and the local tests use the defaults. The benchmarks and the
 * reliability tests compose the same wiring with the options below: stand-ins shared across
 * stacks, proxies between the handlers and a service, workers started and stopped on demand.
 */

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
  /** 60 days, the vendor's longest waiting_duration preset: any valid rules file fits. */
  waitingDurationSeconds: 5_184_000,
} as const;

export type LocalTiming = { -readonly [K in keyof typeof LOCAL_TIMING]: number };

/** Event source mapping settings: sub-second waits happen inside the sender, so give it room. */
const WORKERS = {
  responder: { batchSize: 10, concurrency: 2, waitTimeSeconds: 1 },
  sender: { batchSize: 5, concurrency: 4, waitTimeSeconds: 1 },
} as const;

/** The services the handlers talk to over the network. */
export type StackService = "dynamodb" | "sqs" | "secretsManager" | "vendor";

/** Something put between the handlers and a service (a fault proxy, a counting proxy). */
export interface WrappedEndpoint {
  /** Where the handlers connect instead. */
  endpoint: string;
  /** Called when the stack stops (after the handlers are done with it). */
  stop?(): Promise<void>;
}

/** Stand-ins that are already running: only their SDK env is needed (LocalServices fits). */
export interface ServiceEndpoints {
  awsEnv: Record<string, string>;
}

const SDK_ENDPOINT_ENV: Record<Exclude<StackService, "vendor">, string> = {
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  sqs: "AWS_ENDPOINT_URL_SQS",
  secretsManager: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
};

export interface LocalStackOptions {
  /** Receiver port on 127.0.0.1; default 0 = any free port. */
  port?: number;
  /** Vendor simulator port on 127.0.0.1; default 0 = any free port. */
  vendorPort?: number;
  /** Parsed reply rules JSON; default local/defaultRules.json (no rules if that is absent). */
  rules?: unknown;
  /** Longest single SQS delay hop; default 900. */
  maxSqsDelaySeconds?: number;
  /** Webhook signing secret; default a random one (read it back from `signingSecret`). */
  signingSecret?: string;
  /** SIGNATURE_SCHEME for the receiver; default "auto". */
  signatureScheme?: string;
  /** Where the stack's own lines go (startup, failed invocations); default stderr. */
  log?: (line: string) => void;
  /** POWERTOOLS_LOG_LEVEL for the handlers; default $POWERTOOLS_LOG_LEVEL or "INFO". */
  logLevel?: string;
  /**
   * Start even if the responder or sender module does not exist yet (the pipeline then ends at
   * the queue, with a warning). Default false: a missing handler module fails the start.
   */
  allowMissingWorkers?: boolean;
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
  /** Extra handler env, applied last (e.g. IN_PROGRESS_TTL_SECONDS). */
  env?: Record<string, string>;
  /**
   * Puts something between the handlers and a service: gets the service's own endpoint, returns
   * the one the handlers use instead (undefined: connect directly). The event source mappings
   * stand for Lambda's own pollers and always reach fauxqs directly.
   */
  wrapEndpoint?: (service: StackService, endpoint: string) => Promise<WrappedEndpoint | undefined>;
  /**
   * Keep DynamoDB Local's tables in `<dataDir>/dynamodb` across restarts (default: in memory).
   * Queues stay in memory either way (local/persistence.ts says why). Ignored with `services`.
   */
  dataDir?: string;
  /**
   * The responder and sender: "start" (default) polls their queues as soon as the stack is up;
   * "manual" loads them and leaves starting to `workers.<name>.start()`; "none" does not load them.
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
  /** The env the handlers were loaded with (wrapped endpoints), e.g. for a worker elsewhere. */
  handlerEnv: Record<string, string>;
  /** The loaded handler functions (a worker is absent when it was not loaded). */
  handlers: { receiver: ApiHandler } & Partial<Record<WorkerName, QueueHandler>>;
  /** The loaded workers and the handles that run their event source mappings. */
  workers: Partial<Record<WorkerName, LocalWorker>>;
  /** The client the event source mappings poll with (straight to fauxqs). */
  sqsClient: SQSClient;
  /** Stops every worker's mappings, waiting for in-flight invocations. */
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

/** process.env changes that can be undone: the handlers read their env from there. */
function envScope() {
  const saved = new Map<string, string | undefined>();
  return {
    set(values: Record<string, string>) {
      for (const [key, value] of Object.entries(values)) {
        if (!saved.has(key)) saved.set(key, process.env[key]);
        process.env[key] = value;
      }
    },
    restore() {
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      saved.clear();
    },
  };
}

let running = false;

/** Starts everything; on failure stops whatever had started and rethrows. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running) throw new Error("a local stack is already running in this process");
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timing: LocalTiming = { ...LOCAL_TIMING, ...options.timing };
  const workerMode = options.workers ?? "start";
  const rules = options.rules ?? readDefaultRules();
  if (rules === undefined) {
    log("local stack: no --rules and no local/defaultRules.json: no message will be answered");
  }
  // Fail before anything starts: bad rules or a missing handler module.
  parseReplyRules(rules ?? [], { waitingDurationSeconds: timing.waitingDurationSeconds });
  const receiverFile = handlerFile(FUNCTIONS.receiver);
  const workerFile = (fn: FunctionName): string | undefined => {
    if (workerMode === "none") return undefined;
    try {
      return handlerFile(fn);
    } catch (error) {
      if (!options.allowMissingWorkers) throw error;
      log(`local stack: ${(error as Error).message}; its queue is not consumed`);
      return undefined;
    }
  };
  const responderFile = workerFile(FUNCTIONS.responder);
  const senderFile = workerFile(FUNCTIONS.sender);

  running = true;
  nextHandlerGeneration();
  const cleanups: (() => Promise<void>)[] = [];
  const env = envScope();
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    env.restore();
    running = false;
  };

  try {
    const signingSecret = options.signingSecret ?? randomBytes(32).toString("base64url");
    const signatureScheme = options.signatureScheme ?? DEFAULTS.signatureScheme;
    const vendorToken = options.vendorToken ?? randomBytes(24).toString("base64url");

    let services: ServiceEndpoints | undefined = options.services;
    if (!services) {
      const started: LocalServices = await startLocalServices({
        dynamoDbPath: options.dataDir && (await dynamoDbDirectory(options.dataDir)),
      });
      cleanups.push(() => started.stop());
      services = started;
    }
    const { awsEnv } = services;
    // The SDK resolves region and endpoints lazily (at the first call), so provisioning needs the
    // endpoint env in process.env too, not only while its clients are constructed.
    env.set(awsEnv);
    const resources = await provisionLocalResources({
      awsEnv,
      prefix: options.prefix ?? "local-",
      signingSecret: JSON.stringify({ current: signingSecret }),
      vendorToken,
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
      [ENV.waitingDurationSeconds]: String(timing.waitingDurationSeconds),
      [ENV.vendorBaseUrl]: vendorBaseUrl,
      [ENV.vendorSendPath]: DEFAULTS.vendorSendPath,
      [ENV.vendorAuthPrefix]: DEFAULTS.vendorAuthPrefix,
      [ENV.vendorPhoneFormat]: DEFAULTS.vendorPhoneFormat,
      [ENV.vendorTimeoutMs]: String(timing.vendorTimeoutMs),
      // The sender gives up when SQS is about to move the reply to the DLQ.
      [ENV.maxSendAttempts]: String(timing.maxReceiveCount),
      [ENV.logLevel]: options.logLevel ?? process.env[ENV.logLevel] ?? "INFO",
      ...options.env,
    };
    env.set({ ...handlerEnv, [ENV.serviceName]: "local-stack" });

    const receiver = await importHandler<ApiHandler>(FUNCTIONS.receiver, receiverFile);

    const sqsClient = new SQSClient({
      endpoint: awsEnv.AWS_ENDPOINT_URL_SQS,
      region: awsEnv.AWS_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      useQueueUrlAsEndpoint: false,
    });
    cleanups.push(async () => sqsClient.destroy());

    const workers: Partial<Record<WorkerName, LocalWorker>> = {};
    const handlers: LocalStack["handlers"] = { receiver };
    for (const [fn, file, queueUrl] of [
      [FUNCTIONS.responder, responderFile, resources.queues.jobs],
      [FUNCTIONS.sender, senderFile, resources.queues.replies],
    ] as const) {
      if (!file) continue;
      const handler = await importHandler<QueueHandler>(fn, file);
      handlers[fn] = handler;
      workers[fn] = localWorker({
        fn,
        queueUrl,
        handler,
        sqsClient,
        settings: { ...WORKERS[fn], timeoutMs: timing.workerTimeoutMs, log },
      });
    }
    const stopWorkers = async () => {
      await Promise.all(Object.values(workers).map((worker) => worker.stop()));
    };
    cleanups.push(stopWorkers);
    if (workerMode === "start") for (const worker of Object.values(workers)) worker.start();

    const api: RunningHttpApiAdapter = await startHttpApiAdapter({
      port: options.port ?? 0,
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
