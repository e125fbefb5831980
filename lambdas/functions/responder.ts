import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  createDocumentClient,
  createSchedulerClient,
  createSecretsManagerClient,
  createSqsClient,
} from "../adapters/awsClients.js";
import { DynamoContactStore } from "../adapters/DynamoContactStore.js";
import {
  EventBridgeReplyScheduler,
  type ReplyScheduleTarget,
} from "../adapters/EventBridgeReplyScheduler.js";
import { HttpReplyPolicyClient } from "../adapters/HttpReplyPolicyClient.js";
import { SecretsManagerSecretSource } from "../adapters/SecretsManagerSecretSource.js";
import { SqsMessageQueue, SqsRedelivery } from "../adapters/SqsMessageQueue.js";
import {
  DEFAULTS,
  ENV,
  FUNCTIONS,
  type OptOutConfig,
  REPLY_POLICY_ENV,
  REPLY_SCHEDULER_ENV,
} from "../contract.js";
import { defaultOptOut, type OptOutSettings } from "../core/conversation.js";
import {
  ConfigurationError,
  errorFields,
  InvalidQueueMessageError,
  ReplyPlanError,
  ReplyRulesError,
} from "../core/errors.js";
import { parseWebhookJob } from "../core/messages.js";
import type { MessageQueue, RedeliveryControl } from "../core/ports.js";
import { jobGroupId } from "../core/receiveWebhook.js";
import {
  policyEndpoint,
  ReplyPolicyAnswerError,
  ReplyPolicyConfigError,
  rulesThenHttpPolicy,
} from "../core/replyPolicy.js";
import {
  onlyContacts,
  parseReplyContacts,
  parseReplyRules,
  type ReplyPolicy,
  type ReplyRule,
  rulesPolicy,
} from "../core/replyRules.js";
import { jobLogFields, type RespondDeps, respondToJob } from "../core/respondToJob.js";
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
  readSecretCacheSeconds,
  receiveCount,
  requireEnv,
} from "../runtime/lambda.js";

/**
 * Responder (jobs queue → replies queue): claims each accepted webhook's message on its contact,
 * logs it, finds or makes its reply plan (the stack's rules, then the business's HTTP policy when
 * one is set; the plan is stored before anything is queued) and schedules every message of it on
 * the replies queue (core/respondToJob.ts).
 */

/** First backoff after an unavailable HTTP policy; doubles per attempt (core/schedule.ts). */
const POLICY_RETRY_BASE_SECONDS = 2;

/** The HTTP reply policy's settings (REPLY_POLICY_ENV); the secret stays in Secrets Manager. */
interface HttpPolicyConfig {
  url: string;
  secretId: string;
  timeoutMs: number;
}

export interface ResponderConfig extends FunctionSettings {
  conversationTable: string;
  repliesQueueUrl: string;
  /** Where the responder's own backoff (ChangeMessageVisibility) applies. */
  jobsQueueUrl?: string;
  /**
   * The jobs queue's DLQ (JOBS_DLQ_URL, always set by infra): a job that can never succeed goes
   * there at once, so its contact's later jobs are not dragged there by maxReceiveCount.
   */
  jobsDeadLetterQueueUrl?: string;
  rules: ReplyRule[];
  /** REPLY_CONTACTS: who may get replies. */
  contacts: ReturnType<typeof parseReplyContacts>;
  /** Set when REPLY_POLICY_URL is. */
  httpPolicy?: HttpPolicyConfig;
  /** Checks an HTTP policy's answer like the rules (the webhook's waiting_duration). */
  waitingDurationSeconds?: number;
  /** The jobs queue's maxReceiveCount (REPLY_POLICY_MAX_ATTEMPTS). */
  maxAttempts: number;
  maxSqsDelaySeconds: number;
  /** REPLY_SCHEDULE_* (all four, or none: far replies are then chained through the queue). */
  replySchedules?: ReplyScheduleTarget;
  secretCacheSeconds: number;
  /** HUMAN_PAUSE_SECONDS (0 = human takeover off). */
  humanPauseSeconds: number;
  /** OPT_OUT (JSON), else the English defaults. */
  optOut: OptOutSettings;
}

/** OPT_OUT (contract.ts OptOutConfig, built by infra from stack config); unset = English. */
function readOptOut(env: Env): OptOutSettings {
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

/**
 * The responder's reply rules, read once at cold start: from the file REPLY_RULES_FILE names
 * (deployed stacks: rules.json beside index.mjs, put there by infra) or inline from REPLY_RULES
 * (local stack, tests), validated against WAITING_DURATION_SECONDS with the same validator
 * preview uses. Neither set: no rules, no replies. A problem is a ConfigurationError naming the
 * variable, the file and every bad rule field, so the function fails at init, not per job.
 *
 * @param baseDir where a relative REPLY_RULES_FILE is read from (the handler's own directory).
 */
export function readReplyRules(
  baseDir: string,
  env: Env = process.env,
): { rules: ReplyRule[]; origin: string; waitingDurationSeconds?: number } {
  const waitingDuration = optionalEnv(ENV.waitingDurationSeconds, "", env);
  const waitingDurationSeconds =
    waitingDuration === ""
      ? undefined
      : intEnv(ENV.waitingDurationSeconds, 0, { min: 0, max: 5_184_000 }, env);
  const file = optionalEnv(ENV.replyRulesFile, "", env).trim();
  const inline = optionalEnv(ENV.replyRules, "", env);
  if (file && inline.trim()) {
    throw new ConfigurationError(
      `environment variables ${ENV.replyRulesFile} and ${ENV.replyRules} are both set; set one`,
    );
  }
  let json = inline || "[]";
  let origin = inline ? ENV.replyRules : "none";
  if (file) {
    const resolved = path.resolve(baseDir, file);
    origin = `${ENV.replyRulesFile} (${resolved})`;
    try {
      json = readFileSync(resolved, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigurationError(
        `environment variable ${origin}: ${code === "ENOENT" ? "file not found" : (error as Error).message}`,
        { cause: error },
      );
    }
  }
  try {
    return {
      rules: parseReplyRules(json, { waitingDurationSeconds }),
      origin,
      waitingDurationSeconds,
    };
  } catch (error) {
    if (error instanceof ReplyRulesError) {
      throw new ConfigurationError(`environment variable ${origin}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Reads and checks the env (names: FUNCTION_ENV.responder); throws ConfigurationError naming the variable. */
export function readResponderConfig(
  env: Env,
  /** Where a relative REPLY_RULES_FILE is read from; in Lambda, the bundle's own directory. */
  baseDir: string = path.dirname(fileURLToPath(import.meta.url)),
): ResponderConfig {
  const { rules, waitingDurationSeconds } = readReplyRules(baseDir, env);
  return {
    conversationTable: requireEnv(ENV.conversationTable, env),
    repliesQueueUrl: requireEnv(ENV.repliesQueueUrl, env),
    jobsQueueUrl: optionalEnv(ENV.jobsQueueUrl, "", env) || undefined,
    jobsDeadLetterQueueUrl: optionalEnv(ENV.jobsDeadLetterQueueUrl, "", env) || undefined,
    rules,
    // Unset (the local stack): anyone. The Pulumi program always sets it (infra/config.ts).
    contacts: parseReplyContacts(optionalEnv(ENV.replyContacts, "*", env)),
    httpPolicy: readHttpPolicyConfig(env),
    waitingDurationSeconds,
    maxAttempts: intEnv(
      REPLY_POLICY_ENV.maxAttempts,
      DEFAULTS.maxSendAttempts,
      { min: 1, max: 1000 },
      env,
    ),
    maxSqsDelaySeconds: readMaxSqsDelaySeconds(env),
    replySchedules: readReplySchedules(env),
    secretCacheSeconds: readSecretCacheSeconds(env),
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

/** REPLY_SCHEDULE_GROUP and its three companions: all of them, or none (chaining). */
function readReplySchedules(env: Env): ReplyScheduleTarget | undefined {
  const set = REPLY_SCHEDULER_ENV.filter((name) => optionalEnv(name, "", env).trim() !== "");
  if (set.length === 0) return undefined;
  const missing = REPLY_SCHEDULER_ENV.filter((name) => !set.includes(name));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `environment variables ${REPLY_SCHEDULER_ENV.join(", ")} go together: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`,
    );
  }
  return {
    groupName: requireEnv(ENV.replyScheduleGroup, env),
    roleArn: requireEnv(ENV.replySchedulerRoleArn, env),
    queueArn: requireEnv(ENV.repliesQueueArn, env),
    deadLetterArn: requireEnv(ENV.replyScheduleDeadLetterArn, env),
  };
}

/** REPLY_POLICY_*: all of them when REPLY_POLICY_URL is set, none otherwise. */
function readHttpPolicyConfig(env: Env): HttpPolicyConfig | undefined {
  const url = optionalEnv(REPLY_POLICY_ENV.url, "", env).trim();
  if (!url) return undefined;
  try {
    policyEndpoint(url);
  } catch (error) {
    if (!(error instanceof ReplyPolicyConfigError)) throw error;
    throw new ConfigurationError(`environment variable ${REPLY_POLICY_ENV.url}: ${error.message}`);
  }
  // Its last attempt and its invalid answers go to the jobs DLQ: required with a policy.
  requireEnv(ENV.jobsDeadLetterQueueUrl, env);
  return {
    url,
    secretId: requireEnv(REPLY_POLICY_ENV.secretId, env),
    timeoutMs: intEnv(
      REPLY_POLICY_ENV.timeoutMs,
      DEFAULTS.replyPolicyTimeoutMs,
      { min: 100, max: 60_000 },
      env,
    ),
  };
}

/** What the responder handler runs on: the use case's ports, a function logger, backoff control. */
export type ResponderDeps = RespondDeps & {
  logger: FunctionLogger;
  /** Sets the backoff of a job that comes back later; absent: the queue's visibility timeout. */
  redelivery?: RedeliveryControl;
  /**
   * The jobs DLQ: a job that can never succeed (unreadable, unschedulable plan, invalid policy
   * answer, policy unavailable on its last attempt) is sent there at once and acknowledged.
   * Absent: such a job comes back until the queue's maxReceiveCount moves it.
   */
  deadLetters?: MessageQueue;
  /**
   * The time a job may take (ms): a contact's later job in a batch starts only while this much of
   * the invocation remains (processSqsBatch startBudgetMs). Absent: every job starts.
   */
  jobBudgetMs?: number;
};

/** A job's own DynamoDB and SQS calls, the SDK's retries included, besides the policy's call. */
const JOB_CALLS_MS = 3000;

/** The responder's adapters for a config, built once per execution environment. */
export function responderDeps(config: ResponderConfig): ResponderDeps {
  const logger = createLogger(config.log);
  logger.info("responder ready", {
    rules: config.rules.length,
    httpPolicy: config.httpPolicy !== undefined,
    maxSqsDelaySeconds: config.maxSqsDelaySeconds,
    replySchedules: config.replySchedules !== undefined,
    humanPauseSeconds: config.humanPauseSeconds,
  });
  const documents = createDocumentClient(config.aws);
  const sqs = createSqsClient(config.aws);
  let policy: ReplyPolicy = rulesPolicy(config.rules);
  const { httpPolicy } = config;
  if (httpPolicy) {
    // The signing secret's adapter, for the policy's secret: cached, refreshed on a 401/403.
    const secret = new SecretsManagerSecretSource(
      createSecretsManagerClient(config.aws),
      httpPolicy.secretId,
      { maxAgeSeconds: config.secretCacheSeconds },
    );
    const client = new HttpReplyPolicyClient(
      {
        url: httpPolicy.url,
        timeoutMs: httpPolicy.timeoutMs,
        waitingDurationSeconds: config.waitingDurationSeconds,
      },
      secret,
    );
    policy = rulesThenHttpPolicy(config.rules, (question) => client.ask(question));
  }
  return {
    contacts: new DynamoContactStore(documents, config.conversationTable),
    repliesQueue: new SqsMessageQueue(sqs, config.repliesQueueUrl),
    ...(config.replySchedules
      ? {
          scheduler: new EventBridgeReplyScheduler(
            createSchedulerClient(config.aws),
            config.replySchedules,
          ),
        }
      : {}),
    policy: onlyContacts(policy, config.contacts),
    clock: { now: Date.now, sleep: (ms) => sleep(ms) },
    logger,
    random: Math.random,
    settings: {
      maxHopSeconds: config.maxSqsDelaySeconds,
      ttlSeconds: DEFAULTS.replyItemTtlSeconds,
      humanPauseSeconds: config.humanPauseSeconds,
      optOut: config.optOut,
      policyRetryBaseSeconds: POLICY_RETRY_BASE_SECONDS,
      maxAttempts: config.maxAttempts,
    },
    jobBudgetMs: (httpPolicy?.timeoutMs ?? 0) + JOB_CALLS_MS,
    // Only a stack with an HTTP policy has something to back off from (and the grant for it).
    ...(httpPolicy && config.jobsQueueUrl
      ? { redelivery: new SqsRedelivery(sqs, config.jobsQueueUrl) }
      : {}),
    ...(config.jobsDeadLetterQueueUrl
      ? { deadLetters: new SqsMessageQueue(sqs, config.jobsDeadLetterQueueUrl) }
      : {}),
  };
}

/**
 * A responder Lambda handler over the given dependencies: the hook for a custom reply policy
 * (`createResponderHandler({ ...responderDeps(config), policy: myPolicy })`) and for tests.
 */
export function createResponderHandler(deps: ResponderDeps) {
  const { logger } = deps;
  /**
   * Sends a job that can never succeed to the jobs DLQ (alarmed) and acknowledges it: failing it
   * instead would hold back its contact's later jobs in every batch until maxReceiveCount took
   * them to the DLQ too, unrun. `npm run ops -- redrive jobs` sends it back once fixed.
   */
  const deadLetter = async (
    record: SQSRecord,
    message: string,
    fields: Record<string, unknown>,
  ): Promise<ComeBackLater | undefined> => {
    if (!deps.deadLetters) {
      logger.error(`${message}; it will end in the DLQ`, {
        messageId: record.messageId,
        ...fields,
      });
      return comeBackLater(message);
    }
    // The jobs DLQ is FIFO like the jobs queue: the job keeps its deduplication id and group. An
    // unreadable body is kept as it came (a JSON string when it is not JSON).
    let body: unknown = record.body;
    let job: ReturnType<typeof parseWebhookJob> | undefined;
    try {
      job = parseWebhookJob(record.body);
      body = job;
    } catch {
      try {
        body = JSON.parse(record.body);
      } catch {}
    }
    const groupId =
      record.attributes?.MessageGroupId ?? (job ? jobGroupId(job.webhook) : "unreadable");
    const deduplicationId =
      record.attributes?.MessageDeduplicationId ?? job?.key ?? record.messageId;
    // The key prefix and masked phone tie the line to the job's contact and its other lines.
    logger.error(`${message}; job sent to the DLQ`, {
      messageId: record.messageId,
      ...(job ? jobLogFields(job) : {}),
      ...fields,
    });
    await deps.deadLetters.send(body, { deduplicationId, groupId });
    return undefined;
  };
  const handleRecord = async (record: SQSRecord): Promise<ComeBackLater | undefined> => {
    try {
      const result = await respondToJob(parseWebhookJob(record.body), deps, {
        receiveCount: receiveCount(record),
      });
      if (result.outcome === "retry" && result.lastAttempt && deps.deadLetters) {
        return deadLetter(record, "reply policy unavailable on the last attempt", {});
      }
      // Logged by the use case, with the attempt and what happens next.
      if (result.outcome === "retry") return comeBackLater(result.reason, result.afterSeconds);
      return undefined;
    } catch (error) {
      if (error instanceof ReplyPolicyAnswerError) {
        // Asking again would get the same answer.
        return deadLetter(record, "reply policy answer invalid", {
          field: error.field,
          status: error.status,
          ...errorFields(error),
        });
      }
      if (error instanceof InvalidQueueMessageError || error instanceof ReplyPlanError) {
        return deadLetter(record, "unusable job", errorFields(error));
      }
      throw error;
    }
  };
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    return processSqsBatch(event, context, {
      handleRecord,
      logger,
      redelivery: deps.redelivery,
      failureMessage: "job failed; it will be retried",
      // The jobs queue is FIFO, grouped by contact: keep each contact's jobs in order.
      fifo: true,
      ...(deps.jobBudgetMs === undefined ? {} : { startBudgetMs: deps.jobBudgetMs }),
    });
  };
}
