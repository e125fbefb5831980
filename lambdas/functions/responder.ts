import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createDocumentClient, createSqsClient } from "../adapters/awsClients.js";
import { DynamoConversationLog } from "../adapters/DynamoConversationLog.js";
import { SqsMessageQueue } from "../adapters/SqsMessageQueue.js";
import { DEFAULTS, ENV, FUNCTIONS } from "../contract.js";
import { errorFields, InvalidQueueMessageError, ReplyPlanError } from "../core/errors.js";
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
  optionalEnv,
  processSqsBatch,
  readFunctionSettings,
  readMaxSqsDelaySeconds,
  requireEnv,
} from "../runtime/lambda.js";
import { readReplyRules } from "../runtime/replyRulesSource.js";

/**
 * Responder (jobs queue → replies queue): logs the conversation of each accepted webhook, asks the
 * reply policy for a plan and schedules every message of it on the replies queue.
 */

export interface ResponderConfig extends FunctionSettings {
  conversationTable: string;
  repliesQueueUrl: string;
  /** REPLY_RULES_FILE or REPLY_RULES, validated against WAITING_DURATION_SECONDS. */
  policy: ReplyPolicy;
  ruleCount: number;
  maxSqsDelaySeconds: number;
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
  });
  return {
    conversationLog: new DynamoConversationLog(
      createDocumentClient(config.aws),
      config.conversationTable,
    ),
    repliesQueue: new SqsMessageQueue(createSqsClient(config.aws), config.repliesQueueUrl),
    policy: config.policy,
    clock: { now: Date.now, sleep: (ms) => sleep(ms) },
    logger,
    settings: {
      maxHopSeconds: config.maxSqsDelaySeconds,
      ttlSeconds: DEFAULTS.sentMarkerTtlSeconds,
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
