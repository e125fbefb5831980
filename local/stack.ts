import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SQSClient } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { DEFAULTS, ENV, FUNCTIONS, type FunctionName, WEBHOOK_ROUTE } from "../lambdas/contract.js";
import { parseReplyRules } from "../lambdas/core/replyRules.js";
import { type RunningEventSourceMapping, startEventSourceMapping } from "./eventSourceMapping.js";
import { type RunningHttpApiAdapter, startHttpApiAdapter } from "./httpApiAdapter.js";
import { type ProvisionedResources, provisionLocalResources } from "./provision.js";
import { readDefaultRules } from "./rulesFile.js";
import { type LocalServices, startLocalServices } from "./services/index.js";
import { startVendorSimulator, type VendorSimulator } from "./vendorSimulator.js";

/**
 * The whole pipeline on one machine, in one process: the AWS stand-ins, the resources the Pulumi
 * program would create, the vendor simulator, and the three Lambda handlers wired the way AWS
 * wires them (HTTP API → receiver, jobs queue → responder, replies queue → sender).
 */

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
  stop(): Promise<void>;
}

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

/** Event source mapping settings: sub-second waits happen inside the sender, so give it room. */
const WORKERS = {
  responder: { batchSize: 10, concurrency: 2, waitTimeSeconds: 1 },
  sender: { batchSize: 5, concurrency: 4, waitTimeSeconds: 1 },
} as const;

type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;
// biome-ignore lint/suspicious/noConfusingVoidType: handlers typed Promise<void> must fit too
type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** A handler module that cannot be used; names the function and the file. */
export class HandlerModuleError extends Error {
  override name = "HandlerModuleError";
}

const HANDLERS_DIR = new URL("../lambdas/handlers/", import.meta.url);
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The source file of a handler (.ts under tsx/vitest; .js if someone compiled in place). */
function handlerFile(fn: FunctionName): string {
  const candidates = [`${fn}.ts`, `${fn}.js`].map((f) => fileURLToPath(new URL(f, HANDLERS_DIR)));
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    const expected = relative(REPO_ROOT, candidates[0] as string);
    throw new HandlerModuleError(
      `the ${fn} handler is missing: expected ${expected} exporting "handler"`,
    );
  }
  return found;
}

let importGeneration = 0;

/**
 * Imports a handler module after process.env is set, as the Lambda runtime loads it after the
 * function's environment exists. POWERTOOLS_SERVICE_NAME is set to the function's name while its
 * module initialises, so each module-scope logger carries its own service name although the three
 * functions share one process. The query string makes a later stack in the same process load
 * fresh modules (new env, new clients) instead of the cached ones.
 */
async function importHandler<T>(fn: FunctionName, file: string): Promise<T> {
  process.env[ENV.serviceName] = fn;
  const url = `${pathToFileURL(file).href}?stack=${importGeneration}`;
  let module: { handler?: unknown };
  try {
    module = (await import(url)) as { handler?: unknown };
  } catch (error) {
    throw new HandlerModuleError(
      `the ${fn} handler failed to load (${relative(REPO_ROOT, file)}): ${(error as Error).message}`,
    );
  }
  if (typeof module.handler !== "function") {
    throw new HandlerModuleError(
      `${relative(REPO_ROOT, file)} does not export a "handler" function`,
    );
  }
  return module.handler as T;
}

let running = false;

/** Starts everything; on failure stops whatever had started and rethrows. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running) throw new Error("a local stack is already running in this process");
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rules = options.rules ?? readDefaultRules();
  if (rules === undefined) {
    log("local stack: no --rules and no local/defaultRules.json: no message will be answered");
  }
  // Fail before anything starts: bad rules or a missing handler module.
  parseReplyRules(rules ?? [], { waitingDurationSeconds: LOCAL_TIMING.waitingDurationSeconds });
  const receiverFile = handlerFile(FUNCTIONS.receiver);
  const workerFile = (fn: FunctionName): string | undefined => {
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
  importGeneration += 1;
  const cleanups: (() => Promise<void>)[] = [];
  const savedEnv = new Map<string, string | undefined>();
  const setEnv = (values: Record<string, string>) => {
    for (const [key, value] of Object.entries(values)) {
      if (!savedEnv.has(key)) savedEnv.set(key, process.env[key]);
      process.env[key] = value;
    }
  };
  const restoreEnv = () => {
    for (const [key, value] of savedEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    restoreEnv();
    running = false;
  };

  try {
    const signingSecret = options.signingSecret ?? randomBytes(32).toString("base64url");
    const signatureScheme = options.signatureScheme ?? DEFAULTS.signatureScheme;
    const vendorToken = randomBytes(24).toString("base64url");

    const services: LocalServices = await startLocalServices();
    cleanups.push(() => services.stop());
    // The SDK resolves region and endpoints lazily (at the first call), so provisioning needs the
    // endpoint env in process.env too, not only while its clients are constructed.
    setEnv(services.awsEnv);
    const resources = await provisionLocalResources({
      awsEnv: services.awsEnv,
      prefix: "local-",
      signingSecret: JSON.stringify({ current: signingSecret }),
      vendorToken,
      visibilityTimeoutSeconds: LOCAL_TIMING.visibilityTimeoutSeconds,
      maxReceiveCount: LOCAL_TIMING.maxReceiveCount,
    });
    const vendor = await startVendorSimulator({
      port: options.vendorPort ?? 0,
      token: vendorToken,
    });
    cleanups.push(() => vendor.stop());

    setEnv({
      ...services.awsEnv,
      ...resources.env,
      [ENV.signatureScheme]: signatureScheme,
      [ENV.maxSqsDelaySeconds]: String(options.maxSqsDelaySeconds ?? DEFAULTS.maxSqsDelaySeconds),
      [ENV.replyRules]: JSON.stringify(rules ?? []),
      [ENV.waitingDurationSeconds]: String(LOCAL_TIMING.waitingDurationSeconds),
      [ENV.vendorBaseUrl]: vendor.url,
      [ENV.vendorSendPath]: DEFAULTS.vendorSendPath,
      [ENV.vendorAuthPrefix]: DEFAULTS.vendorAuthPrefix,
      [ENV.vendorPhoneFormat]: DEFAULTS.vendorPhoneFormat,
      [ENV.vendorTimeoutMs]: String(LOCAL_TIMING.vendorTimeoutMs),
      // The sender gives up when SQS is about to move the reply to the DLQ.
      [ENV.maxSendAttempts]: String(LOCAL_TIMING.maxReceiveCount),
      [ENV.logLevel]: options.logLevel ?? process.env[ENV.logLevel] ?? "INFO",
      [ENV.serviceName]: "local-stack",
    });

    const receiver = await importHandler<ApiHandler>(FUNCTIONS.receiver, receiverFile);
    const workers: { fn: FunctionName; file?: string; queueUrl: string }[] = [
      { fn: FUNCTIONS.responder, file: responderFile, queueUrl: resources.queues.jobs },
      { fn: FUNCTIONS.sender, file: senderFile, queueUrl: resources.queues.replies },
    ];
    const handlers: { fn: "responder" | "sender"; handler: QueueHandler; queueUrl: string }[] = [];
    for (const worker of workers) {
      if (!worker.file) continue;
      handlers.push({
        fn: worker.fn as "responder" | "sender",
        handler: await importHandler<QueueHandler>(worker.fn, worker.file),
        queueUrl: worker.queueUrl,
      });
    }

    const sqsClient = new SQSClient({
      endpoint: services.awsEnv.AWS_ENDPOINT_URL_SQS,
      region: services.awsEnv.AWS_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      useQueueUrlAsEndpoint: false,
    });
    cleanups.push(async () => sqsClient.destroy());

    const mappings: RunningEventSourceMapping[] = handlers.map(({ fn, handler, queueUrl }) =>
      startEventSourceMapping({
        queueUrl,
        handler,
        sqsClient,
        functionName: fn,
        timeoutMs: LOCAL_TIMING.workerTimeoutMs,
        log,
        ...WORKERS[fn],
      }),
    );
    cleanups.push(async () => {
      await Promise.all(mappings.map((m) => m.stop()));
    });

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
      timeoutMs: LOCAL_TIMING.receiverTimeoutMs,
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
