import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  createDocumentClient,
  createSecretsManagerClient,
  createSqsClient,
} from "../adapters/awsClients.js";
import { DynamoReplyStore } from "../adapters/DynamoReplyStore.js";
import { SecretsManagerSecretSource } from "../adapters/SecretsManagerSecretSource.js";
import { SqsMessageQueue, SqsRedelivery } from "../adapters/SqsMessageQueue.js";
import { VendorSendClient } from "../adapters/VendorSendClient.js";
import { DEFAULTS, ENV, FUNCTIONS } from "../contract.js";
import { type DeliveryDeps, deliverReply } from "../core/deliverReply.js";
import { ConfigurationError, errorFields, InvalidQueueMessageError } from "../core/errors.js";
import { parseScheduledReply, type ScheduledReply } from "../core/messages.js";
import type { RedeliveryControl } from "../core/ports.js";
import { PHONE_FORMATS, type PhoneFormat } from "../core/vendorSend.js";
import {
  type ComeBackLater,
  comeBackLater,
  createLogger,
  type Env,
  type FunctionLogger,
  type FunctionSettings,
  intEnv,
  oneOfEnv,
  optionalEnv,
  processSqsBatch,
  readFunctionSettings,
  readMaxSqsDelaySeconds,
  readSecretCacheSeconds,
  receiveCount,
  requireEnv,
} from "../runtime/lambda.js";

/**
 * Sender (replies queue → vendor): sends each scheduled reply once, at its time, in plan order.
 * Timing and ordering live in core/deliverReply.ts, the reply item protocol in core/replyItem.ts;
 * docs/scheduling.md explains them.
 */

/** First retry backoff; doubles per attempt (with jitter) up to core/schedule MAX_RETRY_DELAY_SECONDS. */
const RETRY_BASE_SECONDS = 2;
/** A SENDING claim outlives the vendor call by this much before it counts as abandoned. */
const LEASE_MARGIN_MS = 5000;
/** Time kept free at the end of an invocation for the vendor call and the reply item writes. */
const INVOCATION_RESERVE_MS = 2000;
const ORDER_POLL_MS = 100;
const ORDER_WAIT_IN_PROCESS_MS = 3000;

export interface SenderConfig extends FunctionSettings {
  conversationTable: string;
  repliesQueueUrl: string;
  vendorTokenSecretId: string;
  vendorBaseUrl: string;
  vendorSendPath: string;
  vendorAuthPrefix: string;
  vendorPhoneFormat: PhoneFormat;
  vendorTimeoutMs: number;
  maxSendAttempts: number;
  maxSqsDelaySeconds: number;
  secretCacheSeconds: number;
}

/** Reads and checks the env (names: FUNCTION_ENV.sender); throws ConfigurationError naming the variable. */
export function readSenderConfig(env: Env): SenderConfig {
  const phoneFormat = oneOfEnv(
    ENV.vendorPhoneFormat,
    PHONE_FORMATS,
    DEFAULTS.vendorPhoneFormat,
    env,
  );
  const baseUrl = requireEnv(ENV.vendorBaseUrl, env);
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new ConfigurationError(
      `environment variable ${ENV.vendorBaseUrl} must be an http(s) URL`,
    );
  }
  // "" (or "none") sends the raw token; unset means the documented "Bearer ".
  const rawPrefix = env[ENV.vendorAuthPrefix];
  const authPrefix =
    rawPrefix === undefined
      ? DEFAULTS.vendorAuthPrefix
      : rawPrefix.toLowerCase() === "none"
        ? ""
        : rawPrefix;
  return {
    conversationTable: requireEnv(ENV.conversationTable, env),
    repliesQueueUrl: requireEnv(ENV.repliesQueueUrl, env),
    vendorTokenSecretId: requireEnv(ENV.vendorTokenSecretId, env),
    vendorBaseUrl: baseUrl,
    vendorSendPath: optionalEnv(ENV.vendorSendPath, DEFAULTS.vendorSendPath, env),
    vendorAuthPrefix: authPrefix,
    vendorPhoneFormat: phoneFormat,
    vendorTimeoutMs: intEnv(
      ENV.vendorTimeoutMs,
      DEFAULTS.vendorTimeoutMs,
      { min: 100, max: 60_000 },
      env,
    ),
    maxSendAttempts: intEnv(
      ENV.maxSendAttempts,
      DEFAULTS.maxSendAttempts,
      { min: 1, max: 1000 },
      env,
    ),
    maxSqsDelaySeconds: readMaxSqsDelaySeconds(env),
    secretCacheSeconds: readSecretCacheSeconds(env),
    ...readFunctionSettings(FUNCTIONS.sender, env),
  };
}

/** What the sender handler runs on: the workflow's ports plus redelivery control. */
export type SenderDeps = DeliveryDeps & {
  redelivery: RedeliveryControl;
  logger: FunctionLogger;
  /** Reads what the first reply needs during INIT; never rejects (errors surface on use). */
  warmUp?: () => Promise<void>;
};

/** The sender's adapters for a config, built once per execution environment. */
export function senderDeps(config: SenderConfig): SenderDeps {
  const logger = createLogger(config.log);
  logger.info("sender ready", {
    maxSqsDelaySeconds: config.maxSqsDelaySeconds,
    maxSendAttempts: config.maxSendAttempts,
    phoneFormat: config.vendorPhoneFormat,
  });
  const documents = createDocumentClient(config.aws);
  const sqs = createSqsClient(config.aws);
  // Reply items and the CONTACT read: one adapter with the sender's two grants (Get, Update).
  const replies = new DynamoReplyStore(documents, config.conversationTable);
  const token = new SecretsManagerSecretSource(
    createSecretsManagerClient(config.aws),
    config.vendorTokenSecretId,
    { maxAgeSeconds: config.secretCacheSeconds },
  );
  return {
    replies,
    vendor: new VendorSendClient(
      {
        baseUrl: config.vendorBaseUrl,
        sendPath: config.vendorSendPath,
        authPrefix: config.vendorAuthPrefix,
        phoneFormat: config.vendorPhoneFormat,
        timeoutMs: config.vendorTimeoutMs,
      },
      token,
    ),
    contacts: replies,
    repliesQueue: new SqsMessageQueue(sqs, config.repliesQueueUrl),
    redelivery: new SqsRedelivery(sqs, config.repliesQueueUrl),
    // Read during init (cheaper, and off the first reply's critical path); errors surface on use.
    warmUp: () =>
      token.get().then(
        () => undefined,
        () => undefined,
      ),
    clock: { now: Date.now, sleep: (ms) => sleep(ms) },
    logger,
    newOwner: randomUUID,
    random: Math.random,
    settings: {
      maxHopSeconds: config.maxSqsDelaySeconds,
      maxSendAttempts: config.maxSendAttempts,
      retryBaseSeconds: RETRY_BASE_SECONDS,
      leaseMs: config.vendorTimeoutMs + LEASE_MARGIN_MS,
      ttlSeconds: DEFAULTS.replyItemTtlSeconds,
      orderPollMs: ORDER_POLL_MS,
      orderWaitInProcessMs: ORDER_WAIT_IN_PROCESS_MS,
    },
  };
}

/** A sender Lambda handler over the given dependencies (starts the warm-up, if any, at once). */
export function createSenderHandler(deps: SenderDeps) {
  const { logger } = deps;
  void deps.warmUp?.();

  const handleRecord = async (
    record: SQSRecord,
    waitUntil: number,
  ): Promise<ComeBackLater | undefined> => {
    let reply: ScheduledReply;
    try {
      reply = parseScheduledReply(record.body);
    } catch (error) {
      if (!(error instanceof InvalidQueueMessageError)) throw error;
      // Can never succeed: come back at once so SQS moves it to the DLQ after maxReceiveCount.
      logger.error("unusable scheduled reply; it will end in the DLQ", {
        messageId: record.messageId,
        ...errorFields(error),
      });
      return comeBackLater(error.message, 0);
    }
    const result = await deliverReply(
      reply,
      { receiveCount: receiveCount(record), waitUntil },
      deps,
    );
    if (result.kind === "retry" || result.kind === "gave-up") {
      return comeBackLater(`${result.kind}: ${result.reason}`, result.delaySeconds);
    }
    return undefined;
  };

  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    const remaining = context?.getRemainingTimeInMillis?.() ?? 30_000;
    const reserve = deps.settings.leaseMs - LEASE_MARGIN_MS + INVOCATION_RESERVE_MS;
    const waitUntil = Date.now() + Math.max(0, remaining - reserve);
    return processSqsBatch(event, context, {
      handleRecord: (record) => handleRecord(record, waitUntil),
      logger,
      redelivery: deps.redelivery,
      failureMessage: "scheduled reply failed; it will be retried",
    });
  };
}
