import * as pulumi from "@pulumi/pulumi";
import { ENV, FUNCTIONS, REPLY_POLICY_ENV, RULES_BUNDLE_FILE } from "../lambdas/contract.js";
import { DataTables } from "./components/DataTables.js";
import { PipelineAlarms } from "./components/PipelineAlarms.js";
import { PipelineFunction } from "./components/PipelineFunction.js";
import { PipelineSecrets } from "./components/PipelineSecrets.js";
import { QueueWithDeadLetter } from "./components/QueueWithDeadLetter.js";
import { WebhookIngress } from "./components/WebhookIngress.js";
import { WebhookRegistrations } from "./components/WebhookRegistrations.js";
import { loadStackConfig } from "./config.js";
import { WAITING_DURATION_PRESETS } from "./dynamic/vendorWebhookProvider.js";
import {
  type EnvironmentValues,
  functionEnvironment,
  replyPolicyEnvironment,
} from "./functionEnvironment.js";
import { FUNCTION_SIZING, QUEUE_TRIGGERS, visibilityTimeoutFor } from "./functionSizing.js";
import { lambdaArchive } from "./lambdaBundle.js";
import { receiverPolicy, responderPolicy, senderPolicy } from "./policies.js";

/**
 * The composition root: the only module that creates resources. Reads the stack config, wires
 * the components together and exports what operators need. See docs/operations.md.
 */

const config = loadStackConfig();
if (!config.webhookGenerations.some((g) => g.enabled)) {
  // The documented first deployment (docs/operations.md): registered, secret stored, nothing
  // delivered yet. Enable the generation in the next `up`.
  pulumi.log.warn(
    "No webhook generation is enabled: the vendor delivers nothing until one is (whatsable-replies:webhookGenerations).",
  );
}

const tables = new DataTables("data", { protect: config.protect });

const jobs = new QueueWithDeadLetter("jobs", {
  visibilityTimeoutSeconds: visibilityTimeoutFor(
    FUNCTIONS.responder,
    config.responderBatchingWindowSeconds,
  ),
  maxReceiveCount: config.maxReceiveCount,
});
const replies = new QueueWithDeadLetter("replies", {
  visibilityTimeoutSeconds: visibilityTimeoutFor(FUNCTIONS.sender),
  maxReceiveCount: config.maxReceiveCount,
});

const secrets = new PipelineSecrets("secrets", {
  vendorToken: config.vendorToken,
  recoveryWindowInDays: config.protect ? 30 : 7,
  protect: config.protect,
  replyPolicySecret: config.replyPolicySecret,
});

const environment: EnvironmentValues = {
  [ENV.idempotencyTable]: tables.idempotency.name,
  [ENV.conversationTable]: tables.conversation.name,
  [ENV.sentMarkerTable]: tables.sentMarkers.name,
  [ENV.jobsQueueUrl]: jobs.queue.url,
  [ENV.repliesQueueUrl]: replies.queue.url,
  [ENV.signingSecretId]: secrets.signingSecret.arn,
  [ENV.vendorTokenSecretId]: secrets.vendorTokenSecret.arn,
  [ENV.signatureScheme]: config.signatureScheme,
  [ENV.maxBodyBytes]: String(config.maxBodyBytes),
  [ENV.idempotencyTtlSeconds]: String(config.idempotencyTtlSeconds),
  [ENV.inProgressTtlSeconds]: String(FUNCTION_SIZING.receiver.timeoutSeconds * 3),
  [ENV.secretCacheSeconds]: String(config.secretCacheSeconds),
  // The rules travel in the responder's archive (no 4 KB env limit), whichever form config uses.
  [ENV.replyRulesFile]: RULES_BUNDLE_FILE,
  // E.164 in config, digits (NormalizedWebhook.phone) for the responder; see replyContacts.ts.
  [ENV.replyContacts]:
    config.replyContacts === "any"
      ? "*"
      : config.replyContacts.map((n) => n.replace(/^\+/, "")).join(",") || "none",
  // With schedule activity off the vendor sets no window; replies may then use the longest one.
  [ENV.waitingDurationSeconds]: String(
    config.scheduleActivity ? config.waitingDurationSeconds : Math.max(...WAITING_DURATION_PRESETS),
  ),
  [ENV.maxSqsDelaySeconds]: String(config.maxSqsDelaySeconds),
  [ENV.vendorBaseUrl]: config.vendorBaseUrl,
  [ENV.vendorSendPath]: config.vendorSendPath,
  [ENV.vendorAuthPrefix]: config.vendorAuthPrefix,
  [ENV.vendorPhoneFormat]: config.vendorPhoneFormat,
  [ENV.vendorTimeoutMs]: String(config.vendorTimeoutMs),
  // A reply gives up (and goes to the DLQ) on the same receive count as the queue's redrive.
  [ENV.maxSendAttempts]: String(config.maxReceiveCount),
  [ENV.logLevel]: config.logLevel,
  [ENV.serviceName]: "whatsable-replies",
};

/**
 * The HTTP reply policy (replyPolicyUrl), responder only. Its calls leave AWS over the internet:
 * the responder runs outside a VPC, where Lambda has outbound internet access (docs/operations.md).
 */
const policySecret = secrets.replyPolicySecret;
const replyPolicy =
  config.replyPolicyUrl !== undefined && policySecret
    ? {
        secret: policySecret,
        environment: replyPolicyEnvironment({
          [REPLY_POLICY_ENV.url]: config.replyPolicyUrl,
          [REPLY_POLICY_ENV.secretId]: policySecret.arn,
          [REPLY_POLICY_ENV.timeoutMs]: String(config.replyPolicyTimeoutMs),
          // The last attempt knows it is the last: the jobs queue's redrive count.
          [REPLY_POLICY_ENV.maxAttempts]: String(config.maxReceiveCount),
          [REPLY_POLICY_ENV.jobsDeadLetterQueueUrl]: jobs.deadLetterQueue.url,
          [ENV.jobsQueueUrl]: jobs.queue.url,
        }),
      }
    : undefined;

/** Data files bundled beside a function's index.mjs. */
const bundledFiles = (fn: keyof typeof FUNCTIONS): Record<string, string> =>
  fn === FUNCTIONS.responder ? { [RULES_BUNDLE_FILE]: JSON.stringify(config.replyRules) } : {};

const functionArgs = (fn: keyof typeof FUNCTIONS) => ({
  fn,
  code: lambdaArchive(fn, {}, bundledFiles(fn)),
  environment: functionEnvironment(fn, environment),
  timeoutSeconds: FUNCTION_SIZING[fn].timeoutSeconds,
  memoryMb: FUNCTION_SIZING[fn].memoryMb,
  logRetentionDays: config.logRetentionDays,
});

const receiver = new PipelineFunction("receiver", {
  ...functionArgs(FUNCTIONS.receiver),
  policy: (logGroupArn) =>
    pulumi
      .all([logGroupArn, tables.idempotency.arn, jobs.queue.arn, secrets.signingSecret.arn])
      .apply(([logs, idempotency, jobsQueue, signing]) =>
        JSON.stringify(
          receiverPolicy({
            logGroupArn: logs,
            idempotencyTableArn: idempotency,
            jobsQueueArn: jobsQueue,
            signingSecretArn: signing,
          }),
        ),
      ),
});

const responderArgs = functionArgs(FUNCTIONS.responder);
const responder = new PipelineFunction("responder", {
  ...responderArgs,
  environment: { ...responderArgs.environment, ...replyPolicy?.environment },
  policy: (logGroupArn) =>
    pulumi
      .all([
        logGroupArn,
        tables.conversation.arn,
        jobs.queue.arn,
        replies.queue.arn,
        replyPolicy?.secret.arn ?? "",
        jobs.deadLetterQueue.arn,
      ])
      .apply(([logs, conversation, jobsQueue, repliesQueue, policySecretArn, jobsDlq]) =>
        JSON.stringify(
          responderPolicy({
            logGroupArn: logs,
            conversationTableArn: conversation,
            jobsQueueArn: jobsQueue,
            repliesQueueArn: repliesQueue,
            ...(replyPolicy
              ? { replyPolicy: { secretArn: policySecretArn, jobsDeadLetterQueueArn: jobsDlq } }
              : {}),
          }),
        ),
      ),
  queueTrigger: {
    queueArn: jobs.queue.arn,
    batchSize: QUEUE_TRIGGERS.responder.batchSize,
    maximumBatchingWindowInSeconds: config.responderBatchingWindowSeconds,
  },
});

const sender = new PipelineFunction("sender", {
  ...functionArgs(FUNCTIONS.sender),
  policy: (logGroupArn) =>
    pulumi
      .all([
        logGroupArn,
        tables.conversation.arn,
        tables.sentMarkers.arn,
        replies.queue.arn,
        secrets.vendorTokenSecret.arn,
      ])
      .apply(([logs, conversation, sentMarkers, repliesQueue, vendorToken]) =>
        JSON.stringify(
          senderPolicy({
            logGroupArn: logs,
            conversationTableArn: conversation,
            sentMarkerTableArn: sentMarkers,
            repliesQueueArn: repliesQueue,
            vendorTokenSecretArn: vendorToken,
          }),
        ),
      ),
  // maximumConcurrency protects the vendor's rate limit (50 messages a minute per account).
  queueTrigger: {
    queueArn: replies.queue.arn,
    batchSize: QUEUE_TRIGGERS.sender.batchSize,
    maximumConcurrency: config.senderMaxConcurrency,
  },
});

const ingress = new WebhookIngress("ingress", {
  handler: receiver.function,
  throttleRateLimit: config.throttleRateLimit,
  throttleBurstLimit: config.throttleBurstLimit,
  logRetentionDays: config.logRetentionDays,
});

const registrations = new WebhookRegistrations("webhook", {
  endpointUrl: ingress.url,
  generations: config.webhookGenerations,
  incoming: config.webhookIncoming,
  outgoing: config.webhookOutgoing,
  scheduleActivity: config.scheduleActivity,
  waitingDurationSeconds: config.waitingDurationSeconds,
  activeSignature: config.activeSignature,
  adopt: config.webhookAdopt,
  managementBaseUrl: config.managementBaseUrl,
  authPrefix: config.managementAuthPrefix,
  signingSecretId: secrets.signingSecret.id,
  adoptedSigningSecret: config.adoptedSigningSecret,
});

const alarms = new PipelineAlarms("alarms", {
  deadLetterQueues: { jobs: jobs.deadLetterQueue.name, replies: replies.deadLetterQueue.name },
  workQueues: { jobs: jobs.queue.name },
  functions: {
    receiver: receiver.function.name,
    responder: responder.function.name,
    sender: sender.function.name,
  },
  apiId: ingress.api.id,
  accessLogGroupName: ingress.accessLogs.name,
  senderLogGroupName: sender.logGroup.name,
  metricNamespace: `whatsable-replies/${config.stack}`,
  thresholds: config.alarmThresholds,
  alarmEmail: config.alarmEmail,
  alarmTopicArns: config.alarmTopicArns,
  dashboardName: config.dashboard ? `whatsable-replies-${config.stack}` : undefined,
  region: config.region,
});

/** The URL the vendor delivers to (each generation adds `?g=<n>`). */
export const endpointUrl = ingress.url;
/** Vendor webhook ids by generation, e.g. { "1": 1205 }. */
export const webhookIds = pulumi
  .all(registrations.webhooks.map(({ webhook }) => webhook.webhookId))
  .apply((ids) =>
    Object.fromEntries(
      registrations.webhooks.map(({ generation }, i) => [String(generation), ids[i]]),
    ),
  );
/** The webhook id of the newest enabled generation (the one `current` belongs to). */
export const webhookId = registrations.webhooks.find(({ generation }) =>
  config.webhookGenerations.some((g) => g.generation === generation && g.enabled),
)?.webhook.webhookId;
export const tableNames = {
  idempotency: tables.idempotency.name,
  conversation: tables.conversation.name,
  sentMarkers: tables.sentMarkers.name,
};
export const queueNames = {
  jobs: jobs.queue.name,
  jobsDeadLetter: jobs.deadLetterQueue.name,
  replies: replies.queue.name,
  repliesDeadLetter: replies.deadLetterQueue.name,
};
export const functionNames = {
  receiver: receiver.function.name,
  responder: responder.function.name,
  sender: sender.function.name,
};
export const logGroupNames = {
  receiver: receiver.logGroup.name,
  responder: responder.logGroup.name,
  sender: sender.logGroup.name,
  apiAccess: ingress.accessLogs.name,
};
/** ARNs only: the values stay in Secrets Manager. */
export const secretArns = {
  signingSecret: secrets.signingSecret.arn,
  vendorToken: secrets.vendorTokenSecret.arn,
  ...(secrets.replyPolicySecret ? { replyPolicy: secrets.replyPolicySecret.arn } : {}),
};
export const alarmTopicArn = alarms.topic.arn;
