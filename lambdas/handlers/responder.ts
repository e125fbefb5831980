import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createDocumentClient, createSqsClient } from "../adapters/awsClients.js";
import { DynamoConversationLog } from "../adapters/DynamoConversationLog.js";
import { SqsMessageQueue } from "../adapters/SqsMessageQueue.js";
import { DEFAULTS, ENV, FUNCTIONS } from "../contract.js";
import { InvalidQueueMessageError, parseWebhookJob } from "../core/queueMessages.js";
import { onlyContacts, parseReplyContacts } from "../core/replyContacts.js";
import { ReplyPlanError } from "../core/replyPlan.js";
import {
  parseReplyRules,
  type ReplyPolicy,
  ReplyRulesError,
  rulesPolicy,
} from "../core/replyRules.js";
import { type RespondDeps, respondToJob } from "../core/respondToJob.js";
import { SQS_MAX_DELAY_SECONDS } from "../core/schedule.js";
import { ConfigurationError, intEnv, optionalEnv, requireEnv } from "../runtime/env.js";
import { asPortLogger, createLogger } from "../runtime/logger.js";
import { errorFields, processSqsBatch } from "../runtime/sqsBatch.js";

/**
 * Responder (jobs queue → replies queue): logs the conversation of each accepted webhook, asks the
 * reply policy for a plan and schedules every message of it on the replies queue.
 */

export interface ResponderConfig {
  conversationTable: string;
  repliesQueueUrl: string;
  /** REPLY_RULES, validated against WAITING_DURATION_SECONDS. */
  policy: ReplyPolicy;
  ruleCount: number;
  maxSqsDelaySeconds: number;
}

/** Reads and checks the env (names: FUNCTION_ENV.responder); throws ConfigurationError naming the variable. */
export function readResponderConfig(
  env: Record<string, string | undefined> = process.env,
): ResponderConfig {
  const waitingDuration = optionalEnv(ENV.waitingDurationSeconds, "", env);
  const waitingDurationSeconds =
    waitingDuration === ""
      ? undefined
      : intEnv(ENV.waitingDurationSeconds, 0, { min: 0, max: 5_184_000 }, env);
  let rules: ReturnType<typeof parseReplyRules>;
  try {
    rules = parseReplyRules(optionalEnv(ENV.replyRules, "[]", env), { waitingDurationSeconds });
  } catch (error) {
    if (error instanceof ReplyRulesError) {
      throw new ConfigurationError(`environment variable ${ENV.replyRules}: ${error.message}`);
    }
    throw error;
  }
  let contacts: ReturnType<typeof parseReplyContacts>;
  try {
    // Unset (the local stack): anyone. The Pulumi program always sets it (infra/config.ts).
    contacts = parseReplyContacts(optionalEnv(ENV.replyContacts, "*", env));
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
  return {
    conversationTable: requireEnv(ENV.conversationTable, env),
    repliesQueueUrl: requireEnv(ENV.repliesQueueUrl, env),
    // The custom-policy hook: build your own ReplyPolicy here (see core/replyRules.ts).
    policy: onlyContacts(rulesPolicy(rules), contacts),
    ruleCount: rules.length,
    maxSqsDelaySeconds: intEnv(
      ENV.maxSqsDelaySeconds,
      DEFAULTS.maxSqsDelaySeconds,
      { min: 1, max: SQS_MAX_DELAY_SECONDS },
      env,
    ),
  };
}

/** The responder's adapters for a config, built once per execution environment. */
export function responderDeps(
  config: ResponderConfig,
  logger = createLogger(FUNCTIONS.responder),
): RespondDeps {
  return {
    conversationLog: new DynamoConversationLog(createDocumentClient(), config.conversationTable),
    repliesQueue: new SqsMessageQueue(createSqsClient(), config.repliesQueueUrl),
    policy: config.policy,
    now: Date.now,
    logger: asPortLogger(logger),
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
export function createResponderHandler(deps: RespondDeps) {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    try {
      const job = parseWebhookJob(record.body);
      await respondToJob(job, deps);
    } catch (error) {
      const fields = { messageId: record.messageId, ...errorFields(error) };
      if (error instanceof InvalidQueueMessageError || error instanceof ReplyPlanError) {
        // Will never succeed: it goes to the DLQ after the queue's maxReceiveCount.
        deps.logger.error("unusable job; it will end in the DLQ", fields);
      } else {
        deps.logger.warn("job failed; it will be retried", fields);
      }
      throw error;
    }
  };
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processSqsBatch(event, context, handleRecord);
}

// Cold start: config, clients and adapters once per execution environment.
const logger = createLogger(FUNCTIONS.responder);
const config = readResponderConfig();
logger.info("responder ready", {
  rules: config.ruleCount,
  maxSqsDelaySeconds: config.maxSqsDelaySeconds,
});
const processBatch = createResponderHandler(responderDeps(config, logger));

/** SQS (jobs queue) event source mapping with ReportBatchItemFailures. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  return processBatch(event, context);
}
