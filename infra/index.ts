import * as pulumi from "@pulumi/pulumi";
import { AWS_LIMITS, LAMBDA_CONCURRENCY_QUOTA } from "./awsLimits.js";
import { WhatsAppReplyPipeline } from "./components/WhatsAppReplyPipeline.js";
import { loadStackConfig } from "./config.js";

/**
 * This repository's own program: reads and validates this project's stack config (infra/config.ts,
 * errors name the key) and builds one WhatsAppReplyPipeline from it. The component is what other
 * programs install (infra/lib.ts); see docs/operations.md for which parts apply where.
 */

const config = loadStackConfig();
if (!config.webhookGenerations.some((g) => g.enabled)) {
  // The documented first deployment (docs/operations.md): registered, secret stored, nothing
  // delivered yet. Enable the generation in the next `up`.
  pulumi.log.warn(
    `No webhook generation is enabled: the vendor delivers nothing until one is (${pulumi.getProject()}:webhookGenerations).`,
  );
}

const reserved =
  config.throttle.ingress === "functionUrl"
    ? config.throttle.receiverReservedConcurrency
    : undefined;
if (reserved !== undefined) {
  // Preview cannot see the account's quota; Lambda refuses the reservation at `up` if it is short.
  const { quotaCode, quotaName } = LAMBDA_CONCURRENCY_QUOTA;
  pulumi.log.warn(
    `receiverReservedConcurrency ${reserved} needs the account's Lambda concurrency quota at ` +
      `${reserved + AWS_LIMITS.lambdaUnreservedConcurrency.limit} or more (Service Quotas ` +
      `"${quotaName}", ${quotaCode}; new accounts start at 10): \`npm run ops -- preflight --stack ${config.stack}\` checks it.`,
  );
}

// The stack name is the component's context; the rules file is already read into replyRules.
// `throttle` is derived from the throttle keys, which the component validates again.
const { stack: _stack, replyRulesFile: _read, throttle: _throttle, ...settings } = config;
const pipeline = new WhatsAppReplyPipeline(pulumi.getProject(), {
  ...settings,
  // The bare child names ("jobs", "receiver", ...): this repository's stacks are the only
  // pipeline of their project, so no prefix is needed to keep two apart.
  namePrefix: "",
});

export const {
  endpointUrl,
  webhookIds,
  webhookId,
  tableNames,
  queueNames,
  queueUrls,
  functionNames,
  logGroupNames,
  secretArns,
  scheduleNames,
  alarmTopicArn,
  dashboardName,
  region,
  vendorManagement,
} = pipeline;
