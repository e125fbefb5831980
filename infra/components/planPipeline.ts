import * as pulumi from "@pulumi/pulumi";
import {
  ENV,
  // From the contract, not config.ts (which re-exports it): the package's types must not reach
  // config.ts, whose declarations import zod's.
  type OptOutConfig,
  RULES_BUNDLE_FILE,
} from "../../lambdas/contract.js";
import { checkSettings, type StackSettings, settingsSchema } from "../config.js";
import { WAITING_DURATION_PRESETS } from "../dynamic/vendorWebhookProvider.js";
import type { EnvironmentValues } from "../functionEnvironment.js";
import type { WhatsAppReplyPipelineArgs } from "./pipelineArgs.js";

/**
 * What a WhatsAppReplyPipeline decides before it creates anything: its args validated and
 * completed, its children's names, the env values that follow from settings alone. Pure (no
 * resources, no Pulumi runtime), so test/infra/components/planPipeline.test.ts tests it without
 * mocks; the component (WhatsAppReplyPipeline.ts) builds from the plan.
 */

/** The settings keys: the args generated from the settings schema (pipelineSettingArgs.ts). */
type SettingsKey = keyof typeof settingsSchema.shape;
const SETTINGS_KEYS = Object.keys(settingsSchema.shape) as SettingsKey[];

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
