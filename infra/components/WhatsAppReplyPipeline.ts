import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ENV,
  FUNCTIONS,
  type OptOutConfig,
  REPLY_POLICY_ENV,
  RULES_BUNDLE_FILE,
} from "../../lambdas/contract.js";
import {
  checkedReplyPolicySecret,
  checkSettings,
  type StackSettings,
  settingsSchema,
} from "../config.js";
import { MANAGEMENT_API, WAITING_DURATION_PRESETS } from "../dynamic/vendorWebhookProvider.js";
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
import { PipelineFunction } from "./PipelineFunction.js";
import { PipelineSecrets } from "./PipelineSecrets.js";
import type { WhatsAppReplyPipelineArgs } from "./pipelineArgs.js";
import { QueueWithDeadLetter } from "./QueueWithDeadLetter.js";
import { ReplySchedules } from "./ReplySchedules.js";
import { WebhookIngress } from "./WebhookIngress.js";
import { WebhookRegistrations } from "./WebhookRegistrations.js";

/** The component's type token. */
export const PIPELINE_TYPE = "whatsable:index:WhatsAppReplyPipeline";

// The args in a file of their own, the settings among them generated from the settings schema.
export type { WhatsAppReplyPipelineArgs } from "./pipelineArgs.js";

/** The settings keys: args validated by the stack config's validator (infra/config.ts). */
type SettingsKey = keyof typeof settingsSchema.shape;
type SettingsWithoutArg = Exclude<SettingsKey, keyof WhatsAppReplyPipelineArgs>;
/** Every stack setting is an arg of the same name: a setting added to infra/config.ts without its
 * arg here fails to compile, naming the setting. */
const SETTINGS_KEYS: ([SettingsWithoutArg] extends [never] ? SettingsKey : SettingsWithoutArg)[] =
  Object.keys(settingsSchema.shape) as SettingsKey[];

/** Bad component args; the message lists every problem, each naming the arg. */
export class PipelineArgsError extends pulumi.RunError {
  constructor(
    name: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid args of WhatsAppReplyPipeline "${name}":\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "PipelineArgsError";
  }
}

/** What the program around the component knows: the project, the stack, the AWS region. */
export interface PipelineContext {
  project: string;
  stack: string;
  /** The default AWS provider's region (aws:region), if any. */
  awsRegion?: string;
  /** The directory replyRulesFile is relative to. */
  root: string;
}

/**
 * Everything the component decides before it creates anything (pure; tested beside it).
 * @internal Not in the package's types (stripInternal): its settings are the validator's (zod)
 * types, and a host's compile must not need a dependency's types.
 */
export interface PipelinePlan {
  settings: Omit<StackSettings, "replyContacts" | "waitingDurationSeconds"> & {
    replyContacts: "any" | string[];
    waitingDurationSeconds: number;
  };
  /** The child's name for a role: `${namePrefix}${role}`. */
  childName: (role: string) => string;
  region: string;
  /** Namespace of the metrics taken from the logs: `<project>/<prefix><stack>`. */
  metricNamespace: string;
  /** The dashboard's name, when there is one: `<project>-<prefix><stack>`. */
  dashboardName?: string;
  /** Env values that follow from the settings alone (the rest come from resources). */
  environment: Pick<
    EnvironmentValues,
    | typeof ENV.signatureScheme
    | typeof ENV.maxBodyBytes
    | typeof ENV.secretCacheSeconds
    | typeof ENV.replyRulesFile
    | typeof ENV.replyContacts
    | typeof ENV.humanPauseSeconds
    | typeof ENV.optOut
    | typeof ENV.waitingDurationSeconds
    | typeof ENV.maxSqsDelaySeconds
    | typeof ENV.vendorBaseUrl
    | typeof ENV.vendorSendPath
    | typeof ENV.vendorAuthPrefix
    | typeof ENV.vendorPhoneFormat
    | typeof ENV.vendorTimeoutMs
    | typeof ENV.maxSendAttempts
    | typeof ENV.logLevel
    | typeof ENV.serviceName
  > &
    Record<string, string>;
}

const NAME_PREFIX = /^[A-Za-z0-9-]{0,24}$/;

/**
 * Regions without Lambda function URLs, as AWS lists them ("Invoking Lambda function URLs",
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html, late 2025; AWS now points to
 * its Regional Services list, which may shrink this): preview refuses the default ingress there
 * instead of failing at deploy.
 */
const NO_FUNCTION_URLS: ReadonlySet<string> = new Set([
  "ap-south-2",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ap-east-2",
  "ca-west-1",
  "eu-south-2",
  "eu-central-2",
  "il-central-1",
  "me-central-1",
]);

/**
 * Validates and completes a pipeline's args: the settings by the stack config's validator (each
 * problem names `args.<key>`), the names from the component's name, the env values that follow
 * from settings. Throws PipelineArgsError listing every problem.
 * @internal (see PipelinePlan)
 */
export function planPipeline(
  name: string,
  args: WhatsAppReplyPipelineArgs,
  context: PipelineContext,
): PipelinePlan {
  const problems: string[] = [];
  const namePrefix = args.namePrefix ?? `${name}-`;
  if (!NAME_PREFIX.test(namePrefix)) {
    problems.push(
      `args.namePrefix: "${namePrefix}" must be at most 24 letters, digits and hyphens (AWS names are built from it)`,
    );
  }
  const region = args.region ?? context.awsRegion;
  if (!region) {
    problems.push("args.region: required when the default AWS provider has no aws:region");
  }
  const given: Record<string, unknown> = {};
  for (const key of SETTINGS_KEYS) {
    if (args[key] !== undefined) given[key] = args[key];
  }
  // Every problem in one run: the checks below read the settings that are valid on their own,
  // so a bad setting elsewhere does not hide them until it is fixed.
  const {
    settings: validated,
    values,
    ...checked
  } = checkSettings(given, {
    name: (key) => `args.${key}`,
    root: context.root,
    otherAlarmDestination: args.alarmTopicArn !== undefined,
  });
  problems.push(...checked.problems);
  if (
    args.customDomain !== undefined &&
    values.ingress !== undefined &&
    values.ingress !== "httpApi"
  ) {
    problems.push(
      `args.customDomain: needs args.ingress "httpApi" (an API Gateway custom domain), but ingress is "${values.ingress}": ` +
        'set ingress: "httpApi" (the default), or drop customDomain',
    );
  }
  if (values.ingress === "functionUrl" && region && NO_FUNCTION_URLS.has(region)) {
    problems.push(
      `args.ingress: Lambda function URLs are not offered in ${region} (AWS Lambda Developer Guide, ` +
        '"Invoking Lambda function URLs"): set ingress: "httpApi"',
    );
  }
  if (values.replyPolicyUrl !== undefined && args.replyPolicySecret === undefined) {
    problems.push("args.replyPolicySecret: required with replyPolicyUrl (a secret whsec_<base64>)");
  }
  if (args.replyPolicyUrl === undefined && args.replyPolicySecret !== undefined) {
    problems.push("args.replyPolicySecret: set, but replyPolicyUrl is not; set both or neither");
  }
  if (problems.length > 0 || !validated || !region) {
    throw new PipelineArgsError(name, problems);
  }
  const settings = {
    ...validated,
    waitingDurationSeconds: validated.scheduleActivity
      ? (validated.waitingDurationSeconds ?? 0)
      : 0,
    replyContacts: validated.replyContacts ?? (validated.protect ? "any" : []),
  };
  const scope = `${namePrefix}${context.stack}`;
  return {
    settings,
    childName: (role) => `${namePrefix}${role}`,
    region,
    metricNamespace: `${context.project}/${scope}`,
    dashboardName: settings.dashboard ? `${context.project}-${scope}` : undefined,
    environment: {
      [ENV.signatureScheme]: settings.signatureScheme,
      [ENV.maxBodyBytes]: String(settings.maxBodyBytes),
      [ENV.secretCacheSeconds]: String(settings.secretCacheSeconds),
      // The rules travel in the responder's archive (no 4 KB env limit), whichever form is used.
      [ENV.replyRulesFile]: RULES_BUNDLE_FILE,
      // E.164 in settings, digits (NormalizedWebhook.phone) for the responder; see
      // parseReplyContacts in lambdas/core/replyRules.ts.
      [ENV.replyContacts]:
        settings.replyContacts === "any"
          ? "*"
          : settings.replyContacts.map((n) => n.replace(/^\+/, "")).join(",") || "none",
      [ENV.humanPauseSeconds]: String(settings.humanPauseSeconds),
      [ENV.optOut]: JSON.stringify({
        languages: settings.languages,
        stopWords: settings.stopWords,
        startWords: settings.startWords,
        confirmation: settings.optOutConfirmation,
      } satisfies OptOutConfig),
      // With schedule activity off the vendor sets no window; replies may then use the longest one.
      [ENV.waitingDurationSeconds]: String(
        settings.scheduleActivity
          ? settings.waitingDurationSeconds
          : Math.max(...WAITING_DURATION_PRESETS),
      ),
      [ENV.maxSqsDelaySeconds]: String(settings.maxSqsDelaySeconds),
      [ENV.vendorBaseUrl]: settings.vendorBaseUrl,
      [ENV.vendorSendPath]: settings.vendorSendPath,
      [ENV.vendorAuthPrefix]: settings.vendorAuthPrefix,
      [ENV.vendorPhoneFormat]: settings.vendorPhoneFormat,
      [ENV.vendorTimeoutMs]: String(settings.vendorTimeoutMs),
      // A reply gives up (and goes to the DLQ) on the same receive count as the queue's redrive.
      [ENV.maxSendAttempts]: String(settings.maxReceiveCount),
      [ENV.logLevel]: settings.logLevel,
      [ENV.serviceName]: "whatsable-replies",
    },
  };
}

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
  readonly endpointUrl: pulumi.Output<string>;
  /** Vendor webhook ids by generation, e.g. { "1": 1205 }. */
  readonly webhookIds: pulumi.Output<Record<string, number>>;
  /** The webhook id of the newest enabled generation; none while no generation is enabled. */
  readonly webhookId?: pulumi.Output<number>;
  readonly tableNames: {
    conversation: pulumi.Output<string>;
  };
  readonly queueNames: {
    jobs: pulumi.Output<string>;
    jobsDeadLetter: pulumi.Output<string>;
    replies: pulumi.Output<string>;
    repliesDeadLetter: pulumi.Output<string>;
  };
  readonly queueUrls: {
    jobs: pulumi.Output<string>;
    jobsDeadLetter: pulumi.Output<string>;
    replies: pulumi.Output<string>;
    repliesDeadLetter: pulumi.Output<string>;
  };
  readonly functionNames: {
    receiver: pulumi.Output<string>;
    responder: pulumi.Output<string>;
    sender: pulumi.Output<string>;
  };
  readonly logGroupNames: {
    receiver: pulumi.Output<string>;
    responder: pulumi.Output<string>;
    sender: pulumi.Output<string>;
    /** The HTTP API's access log; none with a function URL (the receiver's log is the request log). */
    apiAccess?: pulumi.Output<string>;
  };
  /** ARNs only: the values stay in Secrets Manager. */
  readonly secretArns: {
    signingSecret: pulumi.Output<string>;
    vendorToken: pulumi.Output<string>;
    /** With replyPolicyUrl. */
    replyPolicy?: pulumi.Output<string>;
  };
  /** Far replies' schedules: the group the responder makes them in, the scheduler's DLQ. */
  readonly scheduleNames: {
    group: pulumi.Output<string>;
    deadLetter: pulumi.Output<string>;
  };
  /** The topic every alarm notifies (the estate's, or the pipeline's own). */
  readonly alarmTopicArn: pulumi.Output<string>;
  /** The dashboard's name; none unless args.dashboard. */
  readonly dashboardName?: string;
  readonly region: string;
  /** How the ops CLI calls the vendor's management API (ops/outputs.ts). */
  readonly vendorManagement: {
    baseUrl: string;
    listPath: string;
    authPrefix: string;
    origin: string;
  };
  /** Where the custom domain's DNS record must point; none without args.customDomain. */
  readonly domainTarget?: pulumi.Output<{ targetDomainName: string; hostedZoneId: string }>;
  /** The children, for programs that build on them. */
  readonly tables: DataTables;
  readonly jobs: QueueWithDeadLetter;
  readonly replies: QueueWithDeadLetter;
  readonly schedules: ReplySchedules;
  readonly secrets: PipelineSecrets;
  readonly receiver: PipelineFunction;
  readonly responder: PipelineFunction;
  readonly sender: PipelineFunction;
  readonly ingress: WebhookIngress;
  readonly registrations: WebhookRegistrations;
  readonly alarms: PipelineAlarms;

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
    super(
      PIPELINE_TYPE,
      name,
      {},
      args.tags
        ? {
            ...opts,
            transformations: [...(opts.transformations ?? []), tagTransformation(args.tags)],
          }
        : opts,
    );
    const s = plan.settings;
    const n = plan.childName;
    const child: pulumi.ComponentResourceOptions = { parent: this };

    const tables = new DataTables(n("data"), { protect: s.protect }, child);

    // FIFO: the receiver's one call deduplicates and orders by contact (JOBS_QUEUE in contract.ts).
    const jobs = new QueueWithDeadLetter(
      n("jobs"),
      {
        visibilityTimeoutSeconds: visibilityTimeoutFor(FUNCTIONS.responder),
        maxReceiveCount: s.maxReceiveCount,
        fifo: true,
      },
      child,
    );
    const replies = new QueueWithDeadLetter(
      n("replies"),
      {
        visibilityTimeoutSeconds: visibilityTimeoutFor(FUNCTIONS.sender),
        maxReceiveCount: s.maxReceiveCount,
      },
      child,
    );

    // Far replies: one schedule each, in the stack's group (docs/scheduling.md §3a).
    const schedules = new ReplySchedules(
      n("schedules"),
      { repliesQueueArn: replies.queue.arn },
      child,
    );

    const secrets = new PipelineSecrets(
      n("secrets"),
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

    /**
     * The HTTP reply policy (replyPolicyUrl), responder only. Its calls leave AWS over the
     * internet: the responder runs outside a VPC, where Lambda has outbound internet access.
     */
    const policySecret = secrets.replyPolicySecret;
    const replyPolicy =
      s.replyPolicyUrl !== undefined && policySecret
        ? {
            secret: policySecret,
            environment: replyPolicyEnvironment({
              [REPLY_POLICY_ENV.url]: s.replyPolicyUrl,
              [REPLY_POLICY_ENV.secretId]: policySecret.arn,
              [REPLY_POLICY_ENV.timeoutMs]: String(s.replyPolicyTimeoutMs),
              // The last attempt knows it is the last: the jobs queue's redrive count.
              [REPLY_POLICY_ENV.maxAttempts]: String(s.maxReceiveCount),
              [ENV.jobsQueueUrl]: jobs.queue.url,
            }),
          }
        : undefined;

    /** Data files bundled beside a function's index.mjs. */
    const bundledFiles = (fn: keyof typeof FUNCTIONS): Record<string, string> =>
      fn === FUNCTIONS.responder ? { [RULES_BUNDLE_FILE]: JSON.stringify(s.replyRules) } : {};

    const functionArgs = (fn: keyof typeof FUNCTIONS) => ({
      fn,
      code: lambdaArchive(fn, {}, bundledFiles(fn)),
      environment: functionEnvironment(fn, environment),
      timeoutSeconds: FUNCTION_SIZING[fn].timeoutSeconds,
      memoryMb: FUNCTION_SIZING[fn].memoryMb,
      logRetentionDays: s.logRetentionDays,
    });

    // The receiver's log group stays Standard class: with a function URL its "webhook" lines are
    // the request log the 401/400/accepted metric filters count (Infrequent Access takes none).
    const receiver = new PipelineFunction(
      n("receiver"),
      {
        ...functionArgs(FUNCTIONS.receiver),
        reservedConcurrency:
          s.throttle.ingress === "functionUrl" ? s.throttle.receiverReservedConcurrency : undefined,
        policy: (logGroupArn) =>
          pulumi
            .all([logGroupArn, jobs.queue.arn, secrets.signingSecret.arn])
            .apply(([logs, jobsQueue, signing]) =>
              JSON.stringify(
                receiverPolicy({
                  logGroupArn: logs,
                  jobsQueueArn: jobsQueue,
                  signingSecretArn: signing,
                }),
              ),
            ),
      },
      child,
    );

    const responderArgs = functionArgs(FUNCTIONS.responder);
    const responder = new PipelineFunction(
      n("responder"),
      {
        ...responderArgs,
        environment: { ...responderArgs.environment, ...replyPolicy?.environment },
        policy: (logGroupArn) =>
          pulumi
            .all([
              logGroupArn,
              tables.conversation.arn,
              jobs.queue.arn,
              replies.queue.arn,
              jobs.deadLetterQueue.arn,
              // Only a stack with a policy depends on this.
              replyPolicy?.secret.arn ?? "",
              schedules.group.arn,
              schedules.role.arn,
            ])
            .apply(
              ([
                logs,
                conversation,
                jobsQueue,
                repliesQueue,
                jobsDlq,
                policySecretArn,
                groupArn,
                schedulerRoleArn,
              ]) =>
                JSON.stringify(
                  responderPolicy({
                    logGroupArn: logs,
                    conversationTableArn: conversation,
                    jobsQueueArn: jobsQueue,
                    repliesQueueArn: repliesQueue,
                    jobsDeadLetterQueueArn: jobsDlq,
                    ...(replyPolicy ? { replyPolicy: { secretArn: policySecretArn } } : {}),
                    replySchedules: { groupArn, roleArn: schedulerRoleArn },
                  }),
                ),
            ),
        queueTrigger: {
          queueArn: jobs.queue.arn,
          // No batching window: Lambda refuses one on a FIFO queue.
          batchSize: QUEUE_TRIGGERS.responder.batchSize,
        },
      },
      child,
    );

    const sender = new PipelineFunction(
      n("sender"),
      {
        ...functionArgs(FUNCTIONS.sender),
        policy: (logGroupArn) =>
          pulumi
            .all([
              logGroupArn,
              tables.conversation.arn,
              replies.queue.arn,
              secrets.vendorTokenSecret.arn,
            ])
            .apply(([logs, conversation, repliesQueue, vendorToken]) =>
              JSON.stringify(
                senderPolicy({
                  logGroupArn: logs,
                  conversationTableArn: conversation,
                  repliesQueueArn: repliesQueue,
                  vendorTokenSecretArn: vendorToken,
                }),
              ),
            ),
        // maximumConcurrency protects the vendor's rate limit (50 messages a minute per account).
        queueTrigger: {
          queueArn: replies.queue.arn,
          batchSize: QUEUE_TRIGGERS.sender.batchSize,
          maximumConcurrency: s.senderMaxConcurrency,
        },
      },
      child,
    );

    const ingress = new WebhookIngress(
      n("ingress"),
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

    const registrations = new WebhookRegistrations(
      n("webhook"),
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

    const alarms = new PipelineAlarms(
      n("alarms"),
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

    this.tables = tables;
    this.jobs = jobs;
    this.replies = replies;
    this.schedules = schedules;
    this.secrets = secrets;
    this.receiver = receiver;
    this.responder = responder;
    this.sender = sender;
    this.ingress = ingress;
    this.registrations = registrations;
    this.alarms = alarms;

    this.endpointUrl = ingress.url;
    this.domainTarget = ingress.domainTarget;
    this.webhookIds = pulumi
      .all(registrations.webhooks.map(({ webhook }) => webhook.webhookId))
      .apply((ids) =>
        Object.fromEntries(
          registrations.webhooks.map(({ generation }, i) => [String(generation), ids[i] as number]),
        ),
      );
    this.webhookId = registrations.webhooks.find(({ generation }) =>
      s.webhookGenerations.some((g) => g.generation === generation && g.enabled),
    )?.webhook.webhookId;
    this.tableNames = {
      conversation: tables.conversation.name,
    };
    this.queueNames = {
      jobs: jobs.queue.name,
      jobsDeadLetter: jobs.deadLetterQueue.name,
      replies: replies.queue.name,
      repliesDeadLetter: replies.deadLetterQueue.name,
    };
    this.queueUrls = {
      jobs: jobs.queue.url,
      jobsDeadLetter: jobs.deadLetterQueue.url,
      replies: replies.queue.url,
      repliesDeadLetter: replies.deadLetterQueue.url,
    };
    this.functionNames = {
      receiver: receiver.function.name,
      responder: responder.function.name,
      sender: sender.function.name,
    };
    this.logGroupNames = {
      receiver: receiver.logGroup.name,
      responder: responder.logGroup.name,
      sender: sender.logGroup.name,
      ...(ingress.accessLogs ? { apiAccess: ingress.accessLogs.name } : {}),
    };
    this.secretArns = {
      signingSecret: secrets.signingSecret.arn,
      vendorToken: secrets.vendorTokenSecret.arn,
      ...(secrets.replyPolicySecret ? { replyPolicy: secrets.replyPolicySecret.arn } : {}),
    };
    this.scheduleNames = {
      group: schedules.group.name,
      deadLetter: schedules.deadLetterQueue.name,
    };
    this.alarmTopicArn = alarms.topicArn;
    this.dashboardName = plan.dashboardName;
    this.region = plan.region;
    this.vendorManagement = {
      baseUrl: s.managementBaseUrl,
      listPath: MANAGEMENT_API.listPath,
      authPrefix: s.managementAuthPrefix,
      origin: MANAGEMENT_API.origin,
    };
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
