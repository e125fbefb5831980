import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ENV,
  FUNCTIONS,
  type FunctionName,
  REPLY_POLICY_ENV,
  RULES_BUNDLE_FILE,
} from "../../lambdas/contract.js";
import { checkedReplyPolicySecret } from "../config.js";
import { MANAGEMENT_API } from "../dynamic/vendorWebhookProvider.js";
import {
  type EnvironmentValues,
  functionEnvironment,
  replyPolicyEnvironment,
} from "../functionEnvironment.js";
import { FUNCTION_SIZING, QUEUE_TRIGGERS, visibilityTimeoutFor } from "../functionSizing.js";
import { lambdaArchive } from "../lambdaBundle.js";
import { receiverPolicy, responderPolicy, senderPolicy } from "../policies.js";
import { DataTables } from "./DataTables.js";
import { PipelineAlarms } from "./PipelineAlarms.js";
import { PipelineFunction, type PipelineFunctionArgs } from "./PipelineFunction.js";
import { PipelineSecrets } from "./PipelineSecrets.js";
import type { WhatsAppReplyPipelineArgs } from "./pipelineArgs.js";
import { type PipelinePlan, planPipeline } from "./planPipeline.js";
import { QueueWithDeadLetter } from "./QueueWithDeadLetter.js";
import { ReplySchedules } from "./ReplySchedules.js";
import { WebhookIngress } from "./WebhookIngress.js";
import { WebhookRegistrations } from "./WebhookRegistrations.js";

/** The component's type token. */
export const PIPELINE_TYPE = "whatsable:index:WhatsAppReplyPipeline";

// The args in a file of their own, the settings among them generated from the settings schema.
export type { WhatsAppReplyPipelineArgs } from "./pipelineArgs.js";

/** AWS resource types of the pipeline that take `tags`. */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
  "aws:dynamodb/table:Table",
  "aws:sqs/queue:Queue",
  "aws:secretsmanager/secret:Secret",
  "aws:iam/role:Role",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:lambda/function:Function",
  "aws:apigatewayv2/api:Api",
  "aws:apigatewayv2/stage:Stage",
  "aws:apigatewayv2/domainName:DomainName",
  "aws:sns/topic:Topic",
  "aws:scheduler/scheduleGroup:ScheduleGroup",
  "aws:kms/key:Key",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
]);

/** A transformation adding `tags` to every taggable resource (a resource's own tags win). */
export function tagTransformation(tags: Record<string, string>): pulumi.ResourceTransformation {
  return ({ type, props, opts }) =>
    TAGGABLE_TYPES.has(type)
      ? {
          props: {
            ...props,
            tags: pulumi.output(props.tags).apply((own) => ({ ...tags, ...own })),
          },
          opts,
        }
      : undefined;
}

/**
 * The WhatsApp reply pipeline as one component: the vendor's webhook registrations, the entrance
 * (a function URL, or an HTTP API) and receiver, the job and reply queues with their dead-letter queues, the responder and sender,
 * the DynamoDB tables, the secrets, alarms and (optionally) a dashboard. Every resource is a child
 * named from the component's name (args.namePrefix), so one program can hold several.
 *
 * Reads no stack config of its own: everything comes in through the args, which are validated at
 * once (PipelineArgsError names each bad arg).
 */
export class WhatsAppReplyPipeline extends pulumi.ComponentResource {
  /** The URL the vendor delivers to (each generation adds `?g=<n>`). */
  declare readonly endpointUrl: pulumi.Output<string>;
  /** Vendor webhook ids by generation, e.g. { "1": 1205 }. */
  declare readonly webhookIds: pulumi.Output<Record<string, number>>;
  /** The webhook id of the newest enabled generation; none while no generation is enabled. */
  declare readonly webhookId?: pulumi.Output<number>;
  declare readonly tableNames: {
    conversation: pulumi.Output<string>;
  };
  declare readonly queueNames: {
    jobs: pulumi.Output<string>;
    jobsDeadLetter: pulumi.Output<string>;
    replies: pulumi.Output<string>;
    repliesDeadLetter: pulumi.Output<string>;
  };
  declare readonly queueUrls: {
    jobs: pulumi.Output<string>;
    jobsDeadLetter: pulumi.Output<string>;
    replies: pulumi.Output<string>;
    repliesDeadLetter: pulumi.Output<string>;
  };
  declare readonly functionNames: {
    receiver: pulumi.Output<string>;
    responder: pulumi.Output<string>;
    sender: pulumi.Output<string>;
  };
  declare readonly logGroupNames: {
    receiver: pulumi.Output<string>;
    responder: pulumi.Output<string>;
    sender: pulumi.Output<string>;
    /** The HTTP API's access log; none with a function URL (the receiver's log is the request log). */
    apiAccess?: pulumi.Output<string>;
  };
  /** ARNs only: the values stay in Secrets Manager. */
  declare readonly secretArns: {
    signingSecret: pulumi.Output<string>;
    vendorToken: pulumi.Output<string>;
    /** With replyPolicyUrl. */
    replyPolicy?: pulumi.Output<string>;
  };
  /** Far replies' schedules: the group the responder makes them in, the scheduler's DLQ. */
  declare readonly scheduleNames: {
    group: pulumi.Output<string>;
    deadLetter: pulumi.Output<string>;
  };
  /** The topic every alarm notifies (the estate's, or the pipeline's own). */
  declare readonly alarmTopicArn: pulumi.Output<string>;
  /** The dashboard's name; none unless args.dashboard. */
  declare readonly dashboardName?: string;
  declare readonly region: string;
  /** How the ops CLI calls the vendor's management API (ops/outputs.ts). */
  declare readonly vendorManagement: {
    baseUrl: string;
    listPath: string;
    authPrefix: string;
    origin: string;
  };
  /** Where the custom domain's DNS record must point; none without args.customDomain. */
  declare readonly domainTarget?: pulumi.Output<{ targetDomainName: string; hostedZoneId: string }>;
  /** The children, for programs that build on them. */
  declare readonly tables: DataTables;
  declare readonly jobs: QueueWithDeadLetter;
  declare readonly replies: QueueWithDeadLetter;
  declare readonly schedules: ReplySchedules;
  declare readonly secrets: PipelineSecrets;
  declare readonly receiver: PipelineFunction;
  declare readonly responder: PipelineFunction;
  declare readonly sender: PipelineFunction;
  declare readonly ingress: WebhookIngress;
  declare readonly registrations: WebhookRegistrations;
  declare readonly alarms: PipelineAlarms;

  constructor(
    name: string,
    args: WhatsAppReplyPipelineArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    const plan = planPipeline(name, args, {
      project: pulumi.getProject(),
      stack: pulumi.getStack(),
      awsRegion: aws.config.region,
      root: process.cwd(),
    });
    super(PIPELINE_TYPE, name, {}, withTags(opts, args.tags));
    const step: Step = { plan, args, child: { parent: this } };
    const tables = createTables(step);
    const { jobs, replies } = createQueues(step);
    const schedules = createSchedules(step, replies);
    const secrets = createSecrets(step);
    const functions = createFunctions(step, { tables, jobs, replies, schedules, secrets });
    const ingress = createIngress(step, functions.receiver);
    const registrations = registerWebhooks(step, { ingress, secrets });
    const alarms = createAlarms(step, { jobs, replies, schedules, ...functions, ingress });
    const parts: PipelineParts = {
      tables,
      jobs,
      replies,
      schedules,
      secrets,
      ...functions,
      ingress,
      registrations,
      alarms,
    };
    // Every field at once; PipelineFields makes the compiler name one that is left out.
    Object.assign(this, { ...parts, ...pipelineOutputs(plan, parts) } satisfies PipelineFields);
    this.registerOutputs(this.stackOutputs());
  }

  /**
   * The outputs the ops CLI reads (ops/outputs.ts), as one object: export its keys from your
   * program (`export const { endpointUrl, queueNames, ... } = pipeline.stackOutputs()`), or export
   * the whole object under a name and hand `pulumi stack output <name> --json` to
   * `npm run ops -- --outputs FILE`.
   */
  stackOutputs() {
    return {
      endpointUrl: this.endpointUrl,
      webhookIds: this.webhookIds,
      ...(this.webhookId ? { webhookId: this.webhookId } : {}),
      tableNames: this.tableNames,
      queueNames: this.queueNames,
      queueUrls: this.queueUrls,
      functionNames: this.functionNames,
      logGroupNames: this.logGroupNames,
      secretArns: this.secretArns,
      scheduleNames: this.scheduleNames,
      alarmTopicArn: this.alarmTopicArn,
      ...(this.dashboardName ? { dashboardName: this.dashboardName } : {}),
      region: this.region,
      vendorManagement: this.vendorManagement,
    };
  }
}

/** The component's own options, with the args' tags added to every taggable child. */
function withTags(
  opts: pulumi.ComponentResourceOptions,
  tags: Record<string, string> | undefined,
): pulumi.ComponentResourceOptions {
  return tags
    ? { ...opts, transformations: [...(opts.transformations ?? []), tagTransformation(tags)] }
    : opts;
}

/**
 * What every step of the constructor reads: the plan (settings, names), the args the plan does
 * not carry (secrets, what the estate owns) and the options of every child (the component is
 * its parent).
 */
interface Step {
  plan: PipelinePlan;
  args: WhatsAppReplyPipelineArgs;
  child: pulumi.ComponentResourceOptions;
}

/** The pipeline's children, as the steps create them. */
interface PipelineParts {
  tables: DataTables;
  jobs: QueueWithDeadLetter;
  replies: QueueWithDeadLetter;
  schedules: ReplySchedules;
  secrets: PipelineSecrets;
  receiver: PipelineFunction;
  responder: PipelineFunction;
  sender: PipelineFunction;
  ingress: WebhookIngress;
  registrations: WebhookRegistrations;
  alarms: PipelineAlarms;
}

/** Every field the constructor sets: the children and the outputs. */
type PipelineFields = Omit<WhatsAppReplyPipeline, keyof pulumi.ComponentResource | "stackOutputs">;

function createTables({ plan, child }: Step): DataTables {
  return new DataTables(plan.childName("data"), { protect: plan.settings.protect }, child);
}

/** The job and reply queues, each with its dead-letter queue. */
function createQueues({ plan, child }: Step): Pick<PipelineParts, "jobs" | "replies"> {
  const s = plan.settings;
  return {
    // FIFO: the receiver's one call deduplicates and orders by contact (JOBS_QUEUE in contract.ts).
    jobs: new QueueWithDeadLetter(
      plan.childName("jobs"),
      {
        visibilityTimeoutSeconds: visibilityTimeoutFor(FUNCTIONS.responder),
        maxReceiveCount: s.maxReceiveCount,
        fifo: true,
      },
      child,
    ),
    replies: new QueueWithDeadLetter(
      plan.childName("replies"),
      {
        visibilityTimeoutSeconds: visibilityTimeoutFor(FUNCTIONS.sender),
        maxReceiveCount: s.maxReceiveCount,
      },
      child,
    ),
  };
}

/** Far replies: one schedule each, in the stack's group (docs/scheduling.md §3a). */
function createSchedules({ plan, child }: Step, replies: QueueWithDeadLetter): ReplySchedules {
  return new ReplySchedules(
    plan.childName("schedules"),
    { repliesQueueArn: replies.queue.arn },
    child,
  );
}

function createSecrets({ plan, args, child }: Step): PipelineSecrets {
  const s = plan.settings;
  return new PipelineSecrets(
    plan.childName("secrets"),
    {
      vendorToken: args.vendorToken,
      recoveryWindowInDays: s.protect ? 30 : 7,
      protect: s.protect,
      replyPolicySecret:
        args.replyPolicySecret === undefined
          ? undefined
          : checkedReplyPolicySecret(args.replyPolicySecret, "args.replyPolicySecret"),
    },
    child,
  );
}

/** What the functions are built from. */
type FunctionInputs = Pick<PipelineParts, "tables" | "jobs" | "replies" | "schedules" | "secrets">;
/** The args every function takes alike: its code, its environment, its size. */
type CommonFunctionArgs = Omit<PipelineFunctionArgs, "policy">;

/** The receiver, the responder and the sender, each with its role, log group and trigger. */
function createFunctions(
  step: Step,
  inputs: FunctionInputs,
): Pick<PipelineParts, "receiver" | "responder" | "sender"> {
  const common = commonFunctionArgs(step, inputs);
  return {
    receiver: createReceiver(step, inputs, common(FUNCTIONS.receiver)),
    responder: createResponder(step, inputs, common(FUNCTIONS.responder)),
    sender: createSender(step, inputs, common(FUNCTIONS.sender)),
  };
}

function commonFunctionArgs(
  { plan }: Step,
  { tables, jobs, replies, schedules, secrets }: FunctionInputs,
): (fn: FunctionName) => CommonFunctionArgs {
  const s = plan.settings;
  const environment: EnvironmentValues = {
    ...plan.environment,
    [ENV.conversationTable]: tables.conversation.name,
    [ENV.jobsQueueUrl]: jobs.queue.url,
    [ENV.repliesQueueUrl]: replies.queue.url,
    [ENV.jobsDeadLetterQueueUrl]: jobs.deadLetterQueue.url,
    [ENV.replyScheduleGroup]: schedules.group.name,
    [ENV.replySchedulerRoleArn]: schedules.role.arn,
    [ENV.repliesQueueArn]: replies.queue.arn,
    [ENV.replyScheduleDeadLetterArn]: schedules.deadLetterQueue.arn,
    [ENV.signingSecretId]: secrets.signingSecret.arn,
    [ENV.vendorTokenSecretId]: secrets.vendorTokenSecret.arn,
  };
  /** Data files bundled beside a function's index.mjs. */
  const bundledFiles = (fn: FunctionName): Record<string, string> =>
    fn === FUNCTIONS.responder ? { [RULES_BUNDLE_FILE]: JSON.stringify(s.replyRules) } : {};
  return (fn) => ({
    fn,
    code: lambdaArchive(fn, {}, bundledFiles(fn)),
    environment: functionEnvironment(fn, environment),
    timeoutSeconds: FUNCTION_SIZING[fn].timeoutSeconds,
    memoryMb: FUNCTION_SIZING[fn].memoryMb,
    logRetentionDays: s.logRetentionDays,
  });
}

function createReceiver(
  { plan, child }: Step,
  { jobs, secrets }: FunctionInputs,
  common: CommonFunctionArgs,
): PipelineFunction {
  const throttle = plan.settings.throttle;
  // The receiver's log group stays Standard class: with a function URL its "webhook" lines are
  // the request log the 401/400/accepted metric filters count (Infrequent Access takes none).
  return new PipelineFunction(
    plan.childName("receiver"),
    {
      ...common,
      reservedConcurrency:
        throttle.ingress === "functionUrl" ? throttle.receiverReservedConcurrency : undefined,
      policy: (logGroupArn) =>
        pulumi
          .output({
            logGroupArn,
            jobsQueueArn: jobs.queue.arn,
            signingSecretArn: secrets.signingSecret.arn,
          })
          .apply((resources) => JSON.stringify(receiverPolicy(resources))),
    },
    child,
  );
}

function createResponder(
  { plan, child }: Step,
  { tables, jobs, replies, schedules, secrets }: FunctionInputs,
  common: CommonFunctionArgs,
): PipelineFunction {
  const s = plan.settings;
  /**
   * The HTTP reply policy (replyPolicyUrl), responder only. Its calls leave AWS over the
   * internet: the responder runs outside a VPC, where Lambda has outbound internet access.
   */
  const replyPolicy =
    s.replyPolicyUrl !== undefined && secrets.replyPolicySecret
      ? { url: s.replyPolicyUrl, secret: secrets.replyPolicySecret }
      : undefined;
  return new PipelineFunction(
    plan.childName("responder"),
    {
      ...common,
      environment: {
        ...common.environment,
        ...(replyPolicy &&
          replyPolicyEnvironment({
            [REPLY_POLICY_ENV.url]: replyPolicy.url,
            [REPLY_POLICY_ENV.secretId]: replyPolicy.secret.arn,
            [REPLY_POLICY_ENV.timeoutMs]: String(s.replyPolicyTimeoutMs),
            // The last attempt knows it is the last: the jobs queue's redrive count.
            [REPLY_POLICY_ENV.maxAttempts]: String(s.maxReceiveCount),
            [ENV.jobsQueueUrl]: jobs.queue.url,
          })),
      },
      policy: (logGroupArn) =>
        pulumi
          .output({
            logGroupArn,
            conversationTableArn: tables.conversation.arn,
            jobsQueueArn: jobs.queue.arn,
            repliesQueueArn: replies.queue.arn,
            jobsDeadLetterQueueArn: jobs.deadLetterQueue.arn,
            // Only a stack with a policy depends on its secret.
            ...(replyPolicy ? { replyPolicy: { secretArn: replyPolicy.secret.arn } } : {}),
            replySchedules: { groupArn: schedules.group.arn, roleArn: schedules.role.arn },
          })
          .apply((resources) => JSON.stringify(responderPolicy(resources))),
      queueTrigger: {
        queueArn: jobs.queue.arn,
        // No batching window: Lambda refuses one on a FIFO queue.
        batchSize: QUEUE_TRIGGERS.responder.batchSize,
      },
    },
    child,
  );
}

function createSender(
  { plan, child }: Step,
  { tables, replies, secrets }: FunctionInputs,
  common: CommonFunctionArgs,
): PipelineFunction {
  return new PipelineFunction(
    plan.childName("sender"),
    {
      ...common,
      policy: (logGroupArn) =>
        pulumi
          .output({
            logGroupArn,
            conversationTableArn: tables.conversation.arn,
            repliesQueueArn: replies.queue.arn,
            vendorTokenSecretArn: secrets.vendorTokenSecret.arn,
          })
          .apply((resources) => JSON.stringify(senderPolicy(resources))),
      // maximumConcurrency protects the vendor's rate limit (50 messages a minute per account).
      queueTrigger: {
        queueArn: replies.queue.arn,
        batchSize: QUEUE_TRIGGERS.sender.batchSize,
        maximumConcurrency: plan.settings.senderMaxConcurrency,
      },
    },
    child,
  );
}

/** The webhook's public entrance in front of the receiver: an HTTP API or a function URL. */
function createIngress({ plan, args, child }: Step, receiver: PipelineFunction): WebhookIngress {
  const s = plan.settings;
  return new WebhookIngress(
    plan.childName("ingress"),
    s.throttle.ingress === "httpApi"
      ? {
          kind: "httpApi",
          handler: receiver.function,
          throttleRateLimit: s.throttle.rateLimit,
          throttleBurstLimit: s.throttle.burstLimit,
          logRetentionDays: s.logRetentionDays,
          customDomain: args.customDomain,
        }
      : { kind: "functionUrl", handler: receiver.function },
    child,
  );
}

/** The vendor's webhook registrations at the entrance, and the signing secret they issue. */
function registerWebhooks(
  { plan, args, child }: Step,
  { ingress, secrets }: Pick<PipelineParts, "ingress" | "secrets">,
): WebhookRegistrations {
  const s = plan.settings;
  return new WebhookRegistrations(
    plan.childName("webhook"),
    {
      endpointUrl: ingress.url,
      generations: s.webhookGenerations,
      incoming: s.webhookIncoming,
      outgoing: s.webhookOutgoing,
      scheduleActivity: s.scheduleActivity,
      waitingDurationSeconds: s.waitingDurationSeconds,
      activeSignature: s.activeSignature,
      adopt: s.webhookAdopt,
      managementBaseUrl: s.managementBaseUrl,
      authPrefix: s.managementAuthPrefix,
      signingSecretId: secrets.signingSecret.id,
      adoptedSigningSecret: args.adoptedSigningSecret,
    },
    child,
  );
}

/** The alarms on the queues, the functions and the entrance, their topic and the dashboard. */
function createAlarms(
  { plan, args, child }: Step,
  parts: Pick<
    PipelineParts,
    "jobs" | "replies" | "schedules" | "receiver" | "responder" | "sender" | "ingress"
  >,
): PipelineAlarms {
  const { jobs, replies, schedules, receiver, responder, sender, ingress } = parts;
  const s = plan.settings;
  return new PipelineAlarms(
    plan.childName("alarms"),
    {
      deadLetterQueues: {
        jobs: jobs.deadLetterQueue.name,
        replies: replies.deadLetterQueue.name,
        schedules: schedules.deadLetterQueue.name,
      },
      workQueues: { jobs: jobs.queue.name },
      functions: {
        receiver: receiver.function.name,
        responder: responder.function.name,
        sender: sender.function.name,
      },
      ingress:
        ingress.api && ingress.accessLogs
          ? {
              kind: "httpApi",
              apiId: ingress.api.id,
              accessLogGroupName: ingress.accessLogs.name,
            }
          : {
              kind: "functionUrl",
              functionName: receiver.function.name,
              receiverLogGroupName: receiver.logGroup.name,
            },
      senderLogGroupName: sender.logGroup.name,
      metricNamespace: plan.metricNamespace,
      thresholds: s.alarmThresholds,
      alarmEmail: s.alarmEmail,
      alarmTopicArns: s.alarmTopicArns,
      topicArn: args.alarmTopicArn,
      kmsKeyArn: args.kmsKeyArn,
      dashboardName: plan.dashboardName,
      region: plan.region,
    },
    child,
  );
}

/** The component's outputs: the names, URLs and ARNs of its parts that the ops CLI reads. */
function pipelineOutputs(
  plan: PipelinePlan,
  parts: PipelineParts,
): Omit<PipelineFields, keyof PipelineParts> {
  const { tables, jobs, replies, schedules, secrets, receiver, responder, sender } = parts;
  const { ingress, registrations, alarms } = parts;
  const s = plan.settings;
  return {
    endpointUrl: ingress.url,
    domainTarget: ingress.domainTarget,
    webhookIds: pulumi.output(
      Object.fromEntries(
        registrations.webhooks.map(({ generation, webhook }) => [
          String(generation),
          webhook.webhookId,
        ]),
      ),
    ),
    webhookId: registrations.webhooks.find(({ generation }) =>
      s.webhookGenerations.some((g) => g.generation === generation && g.enabled),
    )?.webhook.webhookId,
    tableNames: { conversation: tables.conversation.name },
    queueNames: {
      jobs: jobs.queue.name,
      jobsDeadLetter: jobs.deadLetterQueue.name,
      replies: replies.queue.name,
      repliesDeadLetter: replies.deadLetterQueue.name,
    },
    queueUrls: {
      jobs: jobs.queue.url,
      jobsDeadLetter: jobs.deadLetterQueue.url,
      replies: replies.queue.url,
      repliesDeadLetter: replies.deadLetterQueue.url,
    },
    functionNames: {
      receiver: receiver.function.name,
      responder: responder.function.name,
      sender: sender.function.name,
    },
    logGroupNames: {
      receiver: receiver.logGroup.name,
      responder: responder.logGroup.name,
      sender: sender.logGroup.name,
      ...(ingress.accessLogs ? { apiAccess: ingress.accessLogs.name } : {}),
    },
    secretArns: {
      signingSecret: secrets.signingSecret.arn,
      vendorToken: secrets.vendorTokenSecret.arn,
      ...(secrets.replyPolicySecret ? { replyPolicy: secrets.replyPolicySecret.arn } : {}),
    },
    scheduleNames: {
      group: schedules.group.name,
      deadLetter: schedules.deadLetterQueue.name,
    },
    alarmTopicArn: alarms.topicArn,
    dashboardName: plan.dashboardName,
    region: plan.region,
    vendorManagement: {
      baseUrl: s.managementBaseUrl,
      listPath: MANAGEMENT_API.listPath,
      authPrefix: s.managementAuthPrefix,
      origin: MANAGEMENT_API.origin,
    },
  };
}
