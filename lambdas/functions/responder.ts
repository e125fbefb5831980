import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createDocumentClient, createSqsClient } from "../adapters/awsClients.js";
import { DynamoConversationLog } from "../adapters/DynamoConversationLog.js";
import { DynamoPlanStore } from "../adapters/DynamoPlanStore.js";
import { SqsMessageQueue } from "../adapters/SqsMessageQueue.js";
import { DEFAULTS, ENV, FUNCTIONS, type OptOutConfig } from "../contract.js";
import { defaultOptOut, type OptOutSettings } from "../core/conversation.js";
import {
  ConfigurationError,
  errorFields,
  InvalidQueueMessageError,
  ReplyPlanError,
} from "../core/errors.js";
import { parseWebhookJob } from "../core/messages.js";
import { onlyContacts, parseReplyContacts } from "../core/replyContacts.js";
import { type ReplyPolicy, rulesPolicy } from "../core/replyRules.js";
import { type RespondDeps, respondToJob } from "../core/respondToJob.js";
import {
  type ComeBackLater,
  comeBackLater,
  createLogger,
  type Env,
  type FunctionLogger,
  type FunctionSettings,
  intEnv,
  optionalEnv,
  processSqsBatch,
  readFunctionSettings,
  readMaxSqsDelaySeconds,
  requireEnv,
} from "../runtime/lambda.js";
import { readReplyRules } from "../runtime/replyRulesSource.js";

/**
 * Responder (jobs queue → replies queue): claims each accepted webhook's message on its contact,
 * logs it, stores the reply policy's plan and schedules every message of it on the replies queue
 * (core/respondToJob.ts).
 */

export interface ResponderConfig extends FunctionSettings {
  conversationTable: string;
  repliesQueueUrl: string;
  /** REPLY_RULES_FILE or REPLY_RULES, validated against WAITING_DURATION_SECONDS. */
  policy: ReplyPolicy;
  ruleCount: number;
  maxSqsDelaySeconds: number;
  /** HUMAN_PAUSE_SECONDS (0 = human takeover off). */
  humanPauseSeconds: number;
  /** OPT_OUT (JSON), else the English defaults. */
  optOut: OptOutSettings;
}

/** OPT_OUT (contract.ts OptOutConfig, built by infra from stack config); unset = English. */
export function readOptOut(env: Env): OptOutSettings {
  const raw = env[ENV.optOut];
  if (raw === undefined || raw.trim() === "") return defaultOptOut(["en"]);
  const problem = () =>
    new ConfigurationError(
      `environment variable ${ENV.optOut} must be JSON {"languages":[…],"stopWords"?:[…],"startWords"?:[…],"confirmation"?:"…"}`,
    );
  let value: Partial<OptOutConfig> | null;
  try {
    value = JSON.parse(raw);
  } catch {
    throw problem();
  }
  const words = (list: unknown) =>
    list === undefined ||
    (Array.isArray(list) && list.every((w) => typeof w === "string" && w.trim() !== ""));
  if (
    !value ||
    !Array.isArray(value.languages) ||
    !words(value.stopWords) ||
    !words(value.startWords) ||
    !(value.confirmation === undefined || typeof value.confirmation === "string")
  ) {
    throw problem();
  }
  const defaults = defaultOptOut(value.languages);
  return {
    stopWords: value.stopWords ?? defaults.stopWords,
    startWords: value.startWords ?? defaults.startWords,
    confirmation: value.confirmation ?? defaults.confirmation,
  };
}

/** Reads and checks the env (names: FUNCTION_ENV.responder); throws ConfigurationError naming the variable. */
export function readResponderConfig(
  env: Env,
  /** Where a relative REPLY_RULES_FILE is read from; in Lambda, the bundle's own directory. */
  baseDir: string = path.dirname(fileURLToPath(import.meta.url)),
): ResponderConfig {
  const { rules } = readReplyRules(baseDir, env);
  // Unset (the local stack): anyone. The Pulumi program always sets it (infra/config.ts).
  const contacts = parseReplyContacts(optionalEnv(ENV.replyContacts, "*", env));
  return {
    conversationTable: requireEnv(ENV.conversationTable, env),
    repliesQueueUrl: requireEnv(ENV.repliesQueueUrl, env),
    // The custom-policy hook: build your own ReplyPolicy here (see core/replyRules.ts).
    policy: onlyContacts(rulesPolicy(rules), contacts),
    ruleCount: rules.length,
    maxSqsDelaySeconds: readMaxSqsDelaySeconds(env),
    humanPauseSeconds: intEnv(
      ENV.humanPauseSeconds,
      DEFAULTS.humanPauseSeconds,
      { min: 0, max: 60 * 24 * 3600 },
      env,
    ),
    optOut: readOptOut(env),
    ...readFunctionSettings(FUNCTIONS.responder, env),
  };
}

/** What the responder handler runs on: the use case's ports and a function logger. */
export type ResponderDeps = RespondDeps & { logger: FunctionLogger };

/** The responder's adapters for a config, built once per execution environment. */
export function responderDeps(config: ResponderConfig): ResponderDeps {
  const logger = createLogger(config.log);
  logger.info("responder ready", {
    rules: config.ruleCount,
    maxSqsDelaySeconds: config.maxSqsDelaySeconds,
    humanPauseSeconds: config.humanPauseSeconds,
  });
  const documents = createDocumentClient(config.aws);
  return {
    contacts: new DynamoConversationLog(documents, config.conversationTable),
    plans: new DynamoPlanStore(documents, config.conversationTable),
    repliesQueue: new SqsMessageQueue(createSqsClient(config.aws), config.repliesQueueUrl),
    policy: config.policy,
    clock: { now: Date.now, sleep: (ms) => sleep(ms) },
    logger,
    settings: {
      maxHopSeconds: config.maxSqsDelaySeconds,
      ttlSeconds: DEFAULTS.sentMarkerTtlSeconds,
      humanPauseSeconds: config.humanPauseSeconds,
      optOut: config.optOut,
    },
  };
}

/**
 * A responder Lambda handler over the given dependencies: the hook for a custom reply policy
 * (`createResponderHandler({ ...responderDeps(config), policy: myPolicy })`) and for tests.
 */
export function createResponderHandler(deps: ResponderDeps) {
  const { logger } = deps;
  const handleRecord = async (record: SQSRecord): Promise<ComeBackLater | undefined> => {
    try {
      await respondToJob(parseWebhookJob(record.body), deps);
      return undefined;
    } catch (error) {
      if (!(error instanceof InvalidQueueMessageError || error instanceof ReplyPlanError)) {
        throw error;
      }
      // Will never succeed: it goes to the DLQ after the queue's maxReceiveCount.
      logger.error("unusable job; it will end in the DLQ", {
        messageId: record.messageId,
        ...errorFields(error),
      });
      return comeBackLater(error.message);
    }
  };
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    return processSqsBatch(event, context, {
      handleRecord,
      logger,
      failureMessage: "job failed; it will be retried",
      // The jobs queue is FIFO, grouped by contact: keep each contact's jobs in order.
      fifo: true,
    });
  };
}
