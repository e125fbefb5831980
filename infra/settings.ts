import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import {
  DEFAULT_INGRESS,
  DEFAULTS,
  INGRESS_KINDS,
  OPT_OUT_LANGUAGES,
  type OptOutLanguage,
} from "../lambdas/contract.js";

// The validators shared with the responder (rules, policy secret): the only imports from lambdas/
// besides the contract, so that preview refuses exactly what the responder would (pure; no AWS).
import { describeProblem, ReplyRulesError, type RuleProblem } from "../lambdas/core/errors.js";
import { policySigningKey, policyUrlProblem } from "../lambdas/core/replyPolicy.js";
import { parseReplyRules } from "../lambdas/core/replyRules.js";
import type { ReplyRuleDocument } from "../lambdas/core/ruleDocument.js";
import {
  AWS_LIMITS,
  MAX_BODY_BYTES_LIMIT,
  MAX_RECEIVER_RESERVED_CONCURRENCY,
} from "./awsLimits.js";
import {
  DEFAULT_MANAGEMENT_BASE_URL,
  WAITING_DURATION_PRESETS,
} from "./dynamic/vendorWebhookProvider.js";

/**
 * The settings validator: every key of a stack file (or arg of the component) typed, defaulted
 * and checked, each problem naming the key. Pure (no Pulumi SDK, no AWS): `pulumi preview`
 * (config.ts, the component) and `npm run ops -- validate` run this one code, and the ops CLI
 * answers without loading the Pulumi SDK.
 */

/** Secret keys: set with `pulumi config set --secret <key> <value>`. */
export const SECRET_KEYS = {
  /** Vendor API token: the sender's send API calls and (unless the next key is set) the
   * webhook management API. */
  vendorToken: "vendorToken",
  /** Optional separate token for the management API (read by the VendorWebhook provider). */
  vendorManagementToken: "vendorManagementToken",
  /** Optional: the signing secret of an adopted registration, if you saved it when it was made. */
  adoptedSigningSecret: "adoptedSigningSecret",
  /** With replyPolicyUrl: the HTTP reply policy's Standard Webhooks secret, whsec_<base64>. */
  replyPolicySecret: "replyPolicySecret",
} as const;

/** Log retention values CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** The stage throttle of an HTTP API stack when its file sets none. */
const HTTP_API_THROTTLE_DEFAULTS = { rateLimit: 50, burstLimit: 100 } as const;

const SIGNATURE_SCHEMES = ["auto", "secret", "hmac-sha256", "hmac-sha512", "off"] as const;

/**
 * What the reference says of a setting beside its type and default, registered on the setting's
 * schema. The component's args (infra/components/pipelineSettingArgs.ts) and the configuration
 * table of docs/operations.md are generated from the schema and these (`npm run gen:settings`,
 * scripts/settingsReference.ts), so the type, the default and the words cannot drift apart.
 */
export interface SettingDoc {
  /** What the setting does, in Markdown; `[text](#anchor)` links into docs/operations.md. */
  description?: string;
  /** The default in words, when the schema has none (the component or the entrance decides). */
  defaultText?: string;
  /** Whole numbers from the first to the second: a refinement checks it, which no reader sees. */
  range?: readonly [number, number];
  /** The only values allowed, for the same reason. */
  oneOf?: readonly number[];
  /**
   * The arg's TypeScript type when it is narrower than the schema's (another validator checks the
   * value), with the type's module, relative to the repository root.
   */
  argType?: { type: string; name: string; from: string };
}

/** The settings' documentation: {@link SettingDoc} by schema. */
export const SETTING_DOCS = z.registry<SettingDoc>();

const bool = (fallback: boolean) => z.boolean({ error: "must be true or false" }).default(fallback);
const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      error: `must be a whole number from ${min} to ${max}`,
    })
    .register(SETTING_DOCS, { range: [min, max] });
const int = (min: number, max: number, fallback: number) => wholeNumber(min, max).default(fallback);
/** Config values arrive as text; a value that looks like a number is still meant as a string here. */
const text = () =>
  z.preprocess(
    (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
    z.string({ error: "must be a string" }),
  );
const nonBlank = () =>
  z.string({ error: "must be a string" }).refine((v) => v.trim() !== "", "must not be blank");
const httpsUrl = (fallback: string) =>
  text()
    .refine((v) => isHttpsUrl(v), { error: "must be an absolute https:// URL" })
    .default(fallback);
/** A setting's schema with its documentation. */
function doc<T extends z.ZodType>(schema: T, description: string, more: SettingDoc = {}): T {
  SETTING_DOCS.add(schema as z.ZodType, { description, ...more });
  return schema;
}

const generationSchema = z.strictObject({
  generation: doc(
    z
      .number({ error: "generation must be a whole number from 1 to 9999" })
      .refine((n) => Number.isInteger(n) && n >= 1 && n <= 9999, {
        error: "generation must be a whole number from 1 to 9999",
      }),
    "The generation's number; a new number makes a new registration with a new signing secret.",
    { range: [1, 9999] },
  ),
  enabled: doc(
    z.boolean({ error: "enabled must be true or false" }).default(true),
    "Whether the vendor delivers to this registration.",
  ),
});

const KIB = 1024;

/**
 * The non-secret settings, keyed by config key (without the project prefix). Each key's order
 * here is the order of the problems a check lists and of the reference's rows.
 */
export const settingsSchema = z.strictObject({
  webhookGenerations: doc(
    z
      .array(generationSchema, { error: "must be a list of {generation, enabled}" })
      .min(1, "must list at least one generation")
      .max(2, "must list at most two generations (the live one and the one replacing it)")
      .refine((gens) => new Set(gens.map((g) => g.generation)).size === gens.length, {
        error: "generation numbers must be distinct",
      })
      .default([{ generation: 1, enabled: true }]),
    "The live webhook registrations: one, or two during a signing-secret " +
      "[rotation](#rotate-the-webhook-signing-secret-with-no-rejected-deliveries), with distinct " +
      "generation numbers. None enabled only for a first deployment (nothing is delivered).",
  ),
  webhookAdopt: doc(
    bool(false),
    "On create, take over an existing registration of the same URL " +
      "([adopt path](#import-limits-and-the-adopt-path)).",
  ),
  webhookIncoming: doc(
    bool(true),
    "Deliver the customers' messages. Not false together with `webhookOutgoing` (nothing would " +
      "be delivered).",
  ),
  webhookOutgoing: doc(
    bool(true),
    "Deliver the business's own outgoing messages (typed on the phone app or in the inbox): " +
      'human takeover needs them (docs/vendor.md, "Outgoing webhooks").',
  ),
  scheduleActivity: doc(bool(false), "The vendor's schedule activity (sets the reply window)."),
  waitingDurationSeconds: doc(
    wholeNumber(0, 5_184_000).optional(),
    "The vendor's waiting window, seconds: with `scheduleActivity`, one of the vendor presets " +
      `${WAITING_DURATION_PRESETS.join(", ")}; without it, 0.`,
    { defaultText: "`0` (required with `scheduleActivity`)" },
  ),
  activeSignature: doc(
    bool(true),
    'Ask the vendor to sign deliveries; `false` requires `signatureScheme: "off"`.',
  ),
  managementBaseUrl: doc(
    httpsUrl(DEFAULT_MANAGEMENT_BASE_URL),
    "The vendor's webhook management API base URL (https).",
  ),
  managementAuthPrefix: doc(
    text().default("Bearer "),
    'Authorization prefix of the management API (`""` = the raw token). Published in the ' +
      "`vendorManagement` output for the ops CLI; the VendorWebhook provider reads it, like the " +
      "token, from the program's config key `managementAuthPrefix` at run time (provider " +
      "configuration, not resource state).",
  ),
  vendorBaseUrl: doc(
    httpsUrl("https://api.insightssystem.com"),
    "The vendor's send API base URL (https).",
  ),
  vendorSendPath: doc(
    text()
      .refine((v) => v.startsWith("/"), { error: 'must start with "/"' })
      .default(DEFAULTS.vendorSendPath),
    'Path of the send API, starting with "/".',
  ),
  vendorAuthPrefix: doc(
    text().default(DEFAULTS.vendorAuthPrefix),
    'Authorization prefix of the send API (`""` = the raw token).',
  ),
  vendorPhoneFormat: doc(
    z
      .enum(["e164", "digits"], { error: "must be e164 or digits" })
      .default(DEFAULTS.vendorPhoneFormat),
    "Phone format the send API wants.",
  ),
  vendorTimeoutMs: doc(
    int(1000, 10_000, DEFAULTS.vendorTimeoutMs),
    "Timeout of one send call, ms; a batch of sends must fit the sender's timeout " +
      "(infra/functionSizing.ts).",
  ),
  signatureScheme: doc(
    z
      .enum(SIGNATURE_SCHEMES, { error: `must be one of ${SIGNATURE_SCHEMES.join(", ")}` })
      .default(DEFAULTS.signatureScheme),
    "How the receiver checks the deliveries' signatures.",
  ),
  replyRules: doc(
    z.array(z.unknown(), { error: "must be a list of reply rules" }).optional(),
    "Inline reply rules (docs/scheduling.md §2): `match` (RE2), conditions, placeholders, " +
      "`messages: [{text, delay, attachment?, filename?}]`; checked at preview by the responder's " +
      "own validator, each problem naming the rule and the field; shipped in the " +
      "responder's bundle (no size limit).",
    {
      defaultText: "`[]` (no reply)",
      argType: {
        type: "ReplyRuleDocument[]",
        name: "ReplyRuleDocument",
        from: "lambdas/core/ruleDocument.ts",
      },
    },
  ),
  replyRulesFile: doc(
    text()
      .refine((v) => v.trim() !== "" && !path.isAbsolute(v) && !escapesRoot(v), {
        error:
          "must be a path inside the project, relative to Pulumi.yaml (e.g. rules/replies.json)",
      })
      .optional(),
    "The same rules as a JSON file in the repository, relative to the project root (where " +
      "`Pulumi.yaml` is); bundled with the responder. Not together with `replyRules`.",
  ),
  replyPolicyUrl: doc(
    text()
      .refine((v) => isHttpsUrl(v), { error: "must be an absolute https:// URL" })
      .refine((v) => !URL.canParse(v) || (!new URL(v).username && !new URL(v).password), {
        error: "must not carry credentials (the request is signed with replyPolicySecret instead)",
      })
      .optional(),
    "Your own reply logic over HTTP (docs/scheduling.md §2a): messages no rule matches are POSTed " +
      "here, signed with `replyPolicySecret`. An absolute `https://` URL (the request carries the " +
      "customer's conversation across the internet) without credentials, naming a public host: " +
      "literal IP addresses and loopback, link-local, private or `.internal`/`.local` names are " +
      "refused at preview ([egress](#the-responders-egress)). The responder needs outbound " +
      "internet (outside a VPC, Lambda has it).",
  ),
  replyPolicyPrivateEndpoint: doc(
    bool(false),
    "`true`: `replyPolicyUrl` may name a private endpoint (10/8, 172.16/12, 192.168/16, " +
      "100.64/10, fc00::/7, a `.internal`, `.local` or one-label name, a literal IP) reached " +
      "through a VPC; loopback and link-local stay refused ([egress](#the-responders-egress)).",
  ),
  replyPolicyTimeoutMs: doc(
    int(500, 10_000, DEFAULTS.replyPolicyTimeoutMs),
    "One policy call, ms; a slower answer counts as unavailable and is retried. The responder's " +
      "timeout leaves room for it (infra/functionSizing.ts).",
  ),
  maxSqsDelaySeconds: doc(
    int(1, 900, DEFAULTS.maxSqsDelaySeconds),
    "Longest single SQS delay hop, seconds.",
  ),
  humanPauseSeconds: doc(
    int(0, 60 * 24 * 3600, DEFAULTS.humanPauseSeconds),
    "Human takeover: automation pauses this long for a contact after a person at the business " +
      "writes to them (phone app, inbox), seconds; 0 turns takeover off (docs/scheduling.md §6).",
  ),
  languages: doc(
    z
      .array(
        z.enum(Object.keys(OPT_OUT_LANGUAGES) as [OptOutLanguage, ...OptOutLanguage[]], {
          error: `must be among ${Object.keys(OPT_OUT_LANGUAGES).join(", ")}`,
        }),
        { error: "must be a list of language codes" },
      )
      .default(["en"]),
    "Languages the contacts write in: their default stop / start words join English's.",
  ),
  stopWords: doc(
    z.array(nonBlank(), { error: "must be a list of words" }).min(1).optional(),
    "Replace the default stop (opt-out) words: a message that is the word as a whole, case, " +
      "accents and punctuation aside.",
    { defaultText: "per `languages`" },
  ),
  startWords: doc(
    z.array(nonBlank(), { error: "must be a list of words" }).min(1).optional(),
    "Replace the default start (opt-in) words, matched as the stop words are.",
    { defaultText: "per `languages`" },
  ),
  optOutConfirmation: doc(
    z.string({ error: "must be a string" }).max(4096).optional(),
    'The one confirmation after a stop word (`""` sends none).',
    { defaultText: "per the first language" },
  ),
  logLevel: doc(
    z
      .enum(["DEBUG", "INFO", "WARN", "ERROR"], { error: "must be DEBUG, INFO, WARN or ERROR" })
      .default("INFO"),
    "Lambda log level. The receiver's `webhook` request lines are written at any level (with a " +
      "function URL the alarms count them).",
  ),
  logRetentionDays: doc(
    z
      .number({ error: `must be one of ${LOG_RETENTION_DAYS.join(", ")}` })
      .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
        error: `must be one of ${LOG_RETENTION_DAYS.join(", ")}`,
      })
      .default(30),
    "Retention of every log group, days.",
    { oneOf: LOG_RETENTION_DAYS },
  ),
  ingress: doc(
    z
      .enum(INGRESS_KINDS, { error: `must be one of ${INGRESS_KINDS.join(", ")}` })
      .default(DEFAULT_INGRESS),
    "The webhook's public entrance ([ingress](#ingress-function-url-or-http-api)): `httpApi`, an " +
      "API Gateway HTTP API (the webhook as the product specifies it, stage throttling, an access " +
      "log at the edge, a custom domain, no public Lambda resource policy), or `functionUrl`, a " +
      "Lambda function URL (the cost option: $1.00 per million requests less). Each has its own " +
      "throttle keys. Changing it changes the registered URL " +
      "([switching](#switching-an-existing-stack)).",
  ),
  throttleRateLimit: doc(
    wholeNumber(1, 10_000).optional(),
    "`httpApi` only: the stage's steady requests per second ([throttling](#throttling)). Set " +
      'with `ingress: "functionUrl"`, the program stops naming the key.',
    { defaultText: `\`${HTTP_API_THROTTLE_DEFAULTS.rateLimit}\`` },
  ),
  throttleBurstLimit: doc(
    wholeNumber(1, 5000).optional(),
    "`httpApi` only: the stage's burst above the steady rate. Set with " +
      '`ingress: "functionUrl"`, the program stops naming the key.',
    { defaultText: `\`${HTTP_API_THROTTLE_DEFAULTS.burstLimit}\`` },
  ),
  receiverReservedConcurrency: doc(
    wholeNumber(1, MAX_RECEIVER_RESERVED_CONCURRENCY).optional(),
    "`functionUrl` only: concurrency reserved for the receiver, its throttle (beyond it Lambda " +
      "answers 429 and the vendor retries; [throttling](#throttling)). The account must keep " +
      `${AWS_LIMITS.lambdaUnreservedConcurrency.limit} unreserved, so a new account (quota 10) ` +
      "can reserve none, and the maximum is for the default quota (`npm run ops -- preflight` " +
      'checks the account\'s). Set with `ingress: "httpApi"`, the program stops naming the key.',
    { defaultText: "none" },
  ),
  senderMaxConcurrency: doc(
    int(2, 1000, 2),
    "Most sender Lambdas at once: protects the vendor's rate limit (50 messages a minute).",
  ),
  maxReceiveCount: doc(
    int(1, 1000, 5),
    "Receives of a job or reply before it moves to its dead-letter queue; also the sender's " +
      "attempts at one reply.",
  ),
  // The job that carries a body to the responder must fit one SQS message (awsLimits.ts).
  maxBodyBytes: doc(
    int(1024, MAX_BODY_BYTES_LIMIT, Math.min(DEFAULTS.maxBodyBytes, MAX_BODY_BYTES_LIMIT)),
    `Largest accepted webhook body, bytes (${MAX_BODY_BYTES_LIMIT / KIB} KiB at most): the job ` +
      "that carries a body to the responder must fit one SQS message (infra/awsLimits.ts).",
  ),
  secretCacheSeconds: doc(
    int(0, 3600, DEFAULTS.secretCacheSeconds),
    "How long a warm Lambda keeps a secret, seconds (0 = reads it on every call).",
  ),
  protect: doc(
    bool(false),
    "Production: Pulumi `protect` and `retainOnDelete` on the tables and secrets, DynamoDB " +
      "deletion protection, a 30-day secret recovery window; requires an alarm destination and " +
      "refuses placeholders (example domains, fictional numbers).",
  ),
  alarmEmail: doc(
    z.email({ error: "must be an email address" }).optional(),
    "An email address subscribed to the alarm topic (confirm the mail once). A protected stack " +
      "needs this or `alarmTopicArns`, and refuses an address under a domain reserved for " +
      "examples (`example.com`, `.net`, `.org`, `.example`, `.test`, `.invalid`, `.localhost`; " +
      "RFC 2606 / 6761).",
  ),
  alarmTopicArns: doc(
    z
      .array(
        text().refine((v) => SNS_TOPIC_ARN.test(v), {
          error: "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
        }),
        { error: "must be a list of SNS topic ARNs" },
      )
      .default([]),
    "Existing SNS topics (PagerDuty, Slack via AWS Chatbot, a team topic) that get every alarm " +
      "and OK too; an encrypted one must let `cloudwatch.amazonaws.com` use its key.",
  ),
  alarmThresholds: doc(
    z
      .strictObject({
        unauthorizedPer5Minutes: doc(
          int(1, 100_000, 3),
          "401 answers in 5 minutes: the signing secret no longer matches the vendor's.",
        ),
        badRequestsPer5Minutes: doc(
          int(1, 100_000, 10),
          "400 answers in 5 minutes: the vendor's payload changed, or a caller is broken.",
        ),
        vendorRefusalsPer15Minutes: doc(
          int(1, 100_000, 3),
          "Replies the vendor refused (invalid number, message limit) in 15 minutes.",
        ),
        quietHours: doc(
          int(0, 24, 0),
          "Hours without one accepted delivery before the quiet alarm fires; 0 = no such alarm.",
        ),
      })
      .prefault({}),
    "Thresholds of the [log-based alarms](#alarm-runbook) on what breaks silently; each field " +
      "left out has its default.",
  ),
  replyContacts: doc(
    z
      .union(
        [
          z.literal("any"),
          z.array(
            text().refine((v) => /^\+[1-9]\d{4,14}$/.test(v), {
              error: "each contact must be an E.164 number such as +15550100001",
            }),
          ),
        ],
        { error: 'must be "any" or a list of E.164 numbers' },
      )
      .optional(),
    'Who may get replies: `"any"`, or a list of E.164 numbers (`"+12025550101"`); everyone else ' +
      "gets none ([why](#one-vendor-account-or-number-per-stack)). A protected stack refuses the " +
      "fictional 555-0100 to 555-0199 numbers (placeholders).",
    { defaultText: '`"any"` when protected, else `[]` (nobody)' },
  ),
  dashboard: doc(
    bool(false),
    "Also create a CloudWatch dashboard of the alarms' metrics, named " +
      "`<project>-<namePrefix><stack>`.",
  ),
});

const HTTP_API_ONLY_KEYS = ["throttleRateLimit", "throttleBurstLimit"] as const;
const FUNCTION_URL_ONLY_KEYS = ["receiverReservedConcurrency"] as const;

export type StackSettings = Omit<z.output<typeof settingsSchema>, "replyRules"> & {
  /** The reply rules document as validated (from replyRules or replyRulesFile); [] = no reply. */
  replyRules: ReplyRuleDocument[];
  /** The chosen entrance's throttle, defaulted (the keys above stay as given). */
  throttle: IngressThrottle;
};

/**
 * How the entrance is throttled: by the HTTP API's stage, or by the receiver's reserved
 * concurrency when the stack reserves some (else only by the account's concurrency).
 */
type IngressThrottle =
  | { ingress: "httpApi"; rateLimit: number; burstLimit: number }
  | { ingress: "functionUrl"; receiverReservedConcurrency?: number };

/**
 * Keys older stack files may still set, with what replaced them: named, not "unknown (typo?)",
 * so an operator upgrading knows to delete the line and why.
 */
const RETIRED_KEYS: Record<string, string> = {
  idempotencyTtlSeconds:
    "no longer used: repeats are dropped by the FIFO jobs queue (5 minutes) and, later, by the " +
    "responder's write on the contact; delete this key (docs/reliability.md)",
  responderBatchingWindowSeconds:
    "no longer used: the jobs queue is FIFO and Lambda allows no batching window on a FIFO " +
    "queue; delete this key",
};

/** How validateSettings names a setting in its problems, and what it knows beside the settings. */
export interface SettingsContext {
  /** The name a problem gives a key: `whatsable-replies:maxReceiveCount`, `args.maxReceiveCount`. */
  name: (key: string) => string;
  /** The directory `replyRulesFile` is relative to. */
  root: string;
  /** An alarm destination other than alarmEmail and alarmTopicArns exists (the component's
   * existing alarm topic). */
  otherAlarmDestination?: boolean;
  /** What an unknown key is called in a problem. */
  unknownKey?: string;
  /** Where the values are written (`Pulumi.prod.yaml`); undefined for a program's args. */
  file?: string;
}

/** The settings as the schema gives them, each key on its own (a bad key is absent). */
type SettingsValues = Partial<z.output<typeof settingsSchema>>;

/**
 * One problem of a configuration: the text every caller shows, and where it is, for a caller
 * that points into the file (`npm run ops -- validate`).
 */
export interface SettingsProblem {
  text: string;
  /** The key as the configuration names it (bare in checkSettings; `<project>:<key>` in a stack's). */
  key: string;
  /** Where inside the key's value, when deeper (a zod path: ["alarmThresholds", ...] minus the key). */
  path?: (string | number)[];
  /** A reply rule's problem (rule index, field), in the inline rules or in `rulesFile`. */
  rule?: RuleProblem;
  /** The replyRulesFile the rule problem is in, as configured (relative to the project root). */
  rulesFile?: string;
}

/** Everything validating settings found: the settings when there was no problem. */
export interface SettingsCheck {
  settings?: StackSettings;
  /** Every key that is valid on its own, defaulted: what checks across keys can still rely on. */
  values: SettingsValues;
  /** Every problem, each naming its key with `context.name`. */
  problems: string[];
  /** The same problems with where each is. */
  details: SettingsProblem[];
}

type SettingsKey = keyof typeof settingsSchema.shape;

/**
 * Checks settings given as values (the stack config's keys decoded, or the component's args):
 * the one validator of both, so a stack file and a host program's args are refused alike. Each
 * key is parsed on its own and each check across keys runs when the keys it reads are valid, so
 * one run lists every problem (a bad key does not hide the relations between the others).
 */
export function checkSettings(
  decoded: Record<string, unknown>,
  context: SettingsContext,
): SettingsCheck {
  const { name, root } = context;
  const details: SettingsProblem[] = [];
  const add = (key: string, text: string, more: Omit<SettingsProblem, "key" | "text"> = {}) =>
    details.push({ key, text, ...more });
  const values: Record<string, unknown> = {};
  const bad = new Set<string>();
  for (const [key, schema] of Object.entries(settingsSchema.shape)) {
    const parsed = (schema as z.ZodType).safeParse(decoded[key]);
    if (parsed.success) {
      values[key] = parsed.data;
      continue;
    }
    bad.add(key);
    for (const issue of parsed.error.issues) {
      const where = issue.path.length > 0 ? ` [${issue.path.map(String).join(".")}]` : "";
      const path = issue.path.map((part) => (typeof part === "number" ? part : String(part)));
      add(key, `${name(key)}${where}: ${issue.message}`, path.length > 0 ? { path } : {});
    }
  }
  const unknown = Object.keys(decoded).filter(
    (key) => !Object.hasOwn(settingsSchema.shape, key) && !Object.hasOwn(RETIRED_KEYS, key),
  );
  if (unknown.length > 0) {
    add(
      unknown[0] ?? "",
      `${unknown.map(name).join(", ")}: ${context.unknownKey ?? "unknown config key (typo?)"}`,
    );
  }
  for (const key of Object.keys(decoded).filter((k) => Object.hasOwn(RETIRED_KEYS, k))) {
    add(key, `${name(key)}: ${RETIRED_KEYS[key]}`);
  }
  const v = values as SettingsValues;
  const valid = (...keys: SettingsKey[]) => keys.every((key) => !bad.has(key));
  const issue = (key: string, message: string) => add(key, `${name(key)}: ${message}`);
  if (valid("scheduleActivity", "waitingDurationSeconds")) {
    if (v.scheduleActivity && !WAITING_DURATION_PRESETS.includes(v.waitingDurationSeconds ?? -1)) {
      issue(
        "waitingDurationSeconds",
        `must be one of the vendor presets ${WAITING_DURATION_PRESETS.join(", ")} when scheduleActivity is true`,
      );
    }
    if (!v.scheduleActivity && (v.waitingDurationSeconds ?? 0) !== 0) {
      issue("waitingDurationSeconds", "must be 0 (or unset) when scheduleActivity is false");
    }
  }
  if (
    valid("activeSignature", "signatureScheme") &&
    !v.activeSignature &&
    v.signatureScheme !== "off"
  ) {
    issue(
      "signatureScheme",
      'must be "off" when activeSignature is false: unsigned deliveries would all be rejected',
    );
  }
  // Not into the AWS network or the host: the request carries the conversation and is signed.
  if (valid("replyPolicyUrl", "replyPolicyPrivateEndpoint") && v.replyPolicyUrl !== undefined) {
    const problem = policyUrlProblem(v.replyPolicyUrl, {
      privateEndpoint: v.replyPolicyPrivateEndpoint ?? false,
    });
    if (problem) issue("replyPolicyUrl", problem);
  }
  if (v.replyRules !== undefined && v.replyRulesFile !== undefined) {
    issue("replyRulesFile", "set either replyRules (inline) or replyRulesFile, not both");
  }
  // On the raw values, so a stack with a bad key still hears about its placeholders too.
  for (const problem of placeholderProblems(decoded, context)) add(problem.key, problem.text);
  // A throttle of the other entrance would be silently ignored: refuse it, naming both keys.
  if (valid("ingress")) {
    const otherKeys = v.ingress === "functionUrl" ? HTTP_API_ONLY_KEYS : FUNCTION_URL_ONLY_KEYS;
    for (const key of otherKeys) {
      if (decoded[key] !== undefined) {
        issue(
          key,
          v.ingress === "functionUrl"
            ? `applies to ingress "httpApi" only (API Gateway stage throttling), but ingress is "functionUrl": ` +
                "delete it and throttle with receiverReservedConcurrency, or set ingress: httpApi"
            : `applies to ingress "functionUrl" only, but ingress is "httpApi" (throttled by ` +
                "throttleRateLimit / throttleBurstLimit): delete it, or set ingress: functionUrl",
        );
      }
    }
  }
  if (
    valid("protect", "alarmEmail", "alarmTopicArns") &&
    v.protect &&
    !v.alarmEmail &&
    (v.alarmTopicArns ?? []).length === 0 &&
    !context.otherAlarmDestination
  ) {
    issue(
      "alarmEmail",
      "a protected stack needs an alarm destination: set alarmEmail or alarmTopicArns, else its alarms reach nobody",
    );
  }
  // The rules are checked when the keys they depend on are fine: one preview lists all.
  const rulesInputsValid = valid(...RULES_INPUTS) && !(v.replyRules && v.replyRulesFile);
  const rules = rulesInputsValid
    ? replyRulesOf(rulesInputsSchema.parse(decoded), name, root)
    : undefined;
  if (rules && !rules.ok) details.push(...rules.problems);
  const problems = details.map((d) => d.text);
  if (problems.length > 0 || !rules?.ok) return { values: v, problems, details };
  const settings = settingsSchema.parse(decoded);
  const { throttleRateLimit, throttleBurstLimit, receiverReservedConcurrency } = settings;
  return {
    values: v,
    problems,
    details,
    settings: {
      ...settings,
      replyRules: rules.document,
      throttle:
        settings.ingress === "httpApi"
          ? {
              ingress: "httpApi",
              rateLimit: throttleRateLimit ?? HTTP_API_THROTTLE_DEFAULTS.rateLimit,
              burstLimit: throttleBurstLimit ?? HTTP_API_THROTTLE_DEFAULTS.burstLimit,
            }
          : { ingress: "functionUrl", receiverReservedConcurrency },
    },
  };
}

/**
 * Domains reserved for examples and tests (RFC 2606 §2 and §3, RFC 6761 §6; the excerpt is kept in
 * test/fixtures/contracts/ietf/reserved-names.md): top-level names, and second-level names with
 * every subdomain. Mail or requests there reach nobody.
 */
const RESERVED_TOP_LEVEL_DOMAINS = ["test", "example", "invalid", "localhost"] as const;
const RESERVED_EXAMPLE_DOMAINS = ["example.com", "example.net", "example.org"] as const;

/** The reserved name a host falls under (`example.com` for `ops.example.com`), if any. */
function reservedDomainOf(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  const labels = name.split(".");
  const tld = labels.at(-1) ?? "";
  if ((RESERVED_TOP_LEVEL_DOMAINS as readonly string[]).includes(tld)) return `.${tld}`;
  return RESERVED_EXAMPLE_DOMAINS.find((d) => name === d || name.endsWith(`.${d}`));
}

/**
 * North American numbers 555-0100 to 555-0199, in every area code, are reserved for fiction
 * (NANPA; test/fixtures/contracts/nanpa/fictional-numbers.md): in E.164 `+1 NPA 555 01XX`.
 */
function isFictionalNumber(e164: string): boolean {
  return /^\+1\d{3}55501\d{2}$/.test(e164);
}

/** Settings whose value is a URL a protected stack calls. */
const URL_KEYS = ["replyPolicyUrl", "vendorBaseUrl", "managementBaseUrl"] as const;

/**
 * Placeholders a protected stack must not deploy with: an alarm address or URL under a domain
 * reserved for examples (a subscription nobody can confirm, a call that reaches nobody), and the
 * fictional 555-01xx numbers among its reply contacts. Unprotected stacks (dev, staging) may keep
 * their placeholders. Each problem names the key and where to change it; none repeats a number.
 */
function placeholderProblems(
  decoded: Record<string, unknown>,
  context: SettingsContext,
): { key: string; text: string }[] {
  if (decoded.protect !== true) return [];
  const { name } = context;
  const edit = context.file
    ? `edit it in ${context.file}`
    : "change it where the program creates the component";
  const problems: { key: string; text: string }[] = [];
  const domainProblem = (key: string, host: string, what: string, consequence: string) => {
    const reserved = reservedDomainOf(host);
    if (reserved) {
      problems.push({
        key,
        text:
          `${name(key)}: ${what} under ${reserved}, a name reserved for examples (RFC 2606), so ` +
          `${consequence}: a protected stack must not deploy a placeholder; ${edit}`,
      });
    }
  };
  const email = decoded.alarmEmail;
  if (typeof email === "string" && email.includes("@")) {
    const host = email.slice(email.lastIndexOf("@") + 1);
    domainProblem("alarmEmail", host, "an address", "nobody can confirm the alarm subscription");
  }
  for (const key of URL_KEYS) {
    const value = decoded[key];
    if (typeof value === "string" && URL.canParse(value)) {
      domainProblem(key, new URL(value).hostname, "a URL", "its calls reach nobody");
    }
  }
  if (Array.isArray(decoded.replyContacts)) {
    decoded.replyContacts.forEach((contact, i) => {
      if (typeof contact === "string" && isFictionalNumber(contact)) {
        problems.push({
          key: "replyContacts",
          text:
            `${name("replyContacts")} [${i}]: a fictional number (555-0100 to 555-0199, reserved ` +
            `for fiction by the NANP): a protected stack must not deploy a placeholder; ${edit}`,
        });
      }
    });
  }
  return problems;
}

/** The file a stack's settings live in, relative to Pulumi.yaml. */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** The settings the reply rules' validation depends on. */
const rulesInputsSchema = z.object({
  replyRules: settingsSchema.shape.replyRules,
  replyRulesFile: settingsSchema.shape.replyRulesFile,
  scheduleActivity: settingsSchema.shape.scheduleActivity,
  waitingDurationSeconds: settingsSchema.shape.waitingDurationSeconds,
});
const RULES_INPUTS = Object.keys(rulesInputsSchema.shape) as SettingsKey[];

/**
 * The reply rules of a stack (inline, or read from replyRulesFile), checked with the responder's
 * own validator against the webhook's waiting window, exactly as the responder will check them.
 */
function replyRulesOf(
  settings: z.output<typeof rulesInputsSchema>,
  name: (key: string) => string,
  root: string,
): { ok: true; document: ReplyRuleDocument[] } | { ok: false; problems: SettingsProblem[] } {
  const file = settings.replyRulesFile;
  const key = file === undefined ? name("replyRules") : `${name("replyRulesFile")} (${file})`;
  let document: unknown = settings.replyRules ?? [];
  if (file !== undefined) {
    try {
      document = JSON.parse(readFileSync(path.resolve(root, file), "utf8"));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === "ENOENT"
          ? "file not found (paths are relative to the project root)"
          : error instanceof SyntaxError
            ? `not valid JSON: ${error.message}`
            : (error as Error).message;
      return {
        ok: false,
        problems: [{ key: "replyRulesFile", text: `${key}: ${reason}`, rulesFile: file }],
      };
    }
  }
  // As the responder gets it: the stack's window, or with schedule activity off the longest one.
  const waitingDurationSeconds = settings.scheduleActivity
    ? (settings.waitingDurationSeconds ?? 0)
    : undefined;
  try {
    parseReplyRules(document, { waitingDurationSeconds });
  } catch (error) {
    if (!(error instanceof ReplyRulesError)) throw error;
    return {
      ok: false,
      problems: error.problems.map((p) => ({
        key: file === undefined ? "replyRules" : "replyRulesFile",
        text: `${key}: ${describeProblem(p)}`,
        rule: p,
        ...(file === undefined ? {} : { rulesFile: file }),
      })),
    };
  }
  // parseReplyRules accepted it: it is the written form.
  return { ok: true, document: document as ReplyRuleDocument[] };
}

/**
 * A stack's configuration as Pulumi hands it to the program: full keys (`<project>:<key>`,
 * `aws:region`), values as text (structured ones as JSON), and which keys are secret. Secret
 * values are not needed (and never read here): only whether they are set, and set encrypted.
 */
export interface RawStackConfig {
  /** The project name: the namespace of the program's own keys. */
  namespace: string;
  /** Every key set, with its value as text; undefined for an encrypted value not at hand. */
  values: Record<string, string | undefined>;
  /** The keys stored encrypted (set with --secret). */
  secretKeys: ReadonlySet<string>;
  /** The stack file the values come from (`Pulumi.prod.yaml`), named in problems to edit there. */
  file?: string;
}

/**
 * Every problem of a stack's configuration: its settings (checkSettings), aws:region, and its
 * secrets (present, stored encrypted, the policy secret with its URL). What `pulumi preview`
 * refuses (loadStackConfig) and what `npm run ops -- validate --stack-file` reports, one code.
 */
export function checkStackConfig(
  raw: RawStackConfig,
  root = process.cwd(),
): { settings?: StackSettings; problems: string[]; details: SettingsProblem[] } {
  const { namespace, values, secretKeys } = raw;
  const secretNames = new Set<string>(Object.values(SECRET_KEYS));
  const settingsRaw: Record<string, string | undefined> = {};
  for (const [fullKey, value] of Object.entries(values)) {
    const [ns, key] = splitKey(fullKey);
    if (ns === namespace && !secretNames.has(key)) settingsRaw[key] = value;
  }
  const decoded = decodeSettings(settingsRaw);
  const checked = checkSettings(decoded, {
    name: (key) => `${namespace}:${key}`,
    root,
    file: raw.file,
  });
  // Keys are full here (`<project>:<key>`), as the stack file writes them.
  const details: SettingsProblem[] = checked.details.map((d) => ({
    ...d,
    key: `${namespace}:${d.key}`,
  }));
  const add = (key: string, text: string) => details.push({ key, text: `${key}: ${text}` });
  const isSet = (key: string) => Object.hasOwn(values, `${namespace}:${key}`);
  if (!values["aws:region"]) {
    add("aws:region", "required (e.g. `pulumi config set aws:region eu-west-1`)");
  }
  if (!isSet(SECRET_KEYS.vendorToken)) {
    add(
      `${namespace}:${SECRET_KEYS.vendorToken}`,
      `required; set it with \`pulumi config set --secret ${SECRET_KEYS.vendorToken} <token>\``,
    );
  }
  const policySecret = isSet(SECRET_KEYS.replyPolicySecret);
  const policyUrl = checked.values.replyPolicyUrl;
  if (policyUrl !== undefined && !policySecret) {
    add(
      `${namespace}:${SECRET_KEYS.replyPolicySecret}`,
      `required with replyPolicyUrl; set it with \`pulumi config set --secret ${SECRET_KEYS.replyPolicySecret} whsec_<base64>\``,
    );
  }
  if (policyUrl === undefined && decoded.replyPolicyUrl === undefined && policySecret) {
    add(
      `${namespace}:${SECRET_KEYS.replyPolicySecret}`,
      `set, but replyPolicyUrl is not; set both or neither`,
    );
  }
  for (const key of Object.values(SECRET_KEYS)) {
    if (isSet(key) && !secretKeys.has(`${namespace}:${key}`)) {
      add(
        `${namespace}:${key}`,
        `must be stored encrypted; run \`pulumi config set --secret ${key} <value>\``,
      );
    }
  }
  const texts = details.map((d) => d.text);
  return texts.length > 0
    ? { problems: texts, details }
    : { settings: checked.settings, problems: texts, details };
}

/**
 * What is wrong with a reply policy secret, checked as the responder checks it (policySigningKey):
 * `key` (how the caller names the secret) and the problem, never the value. Undefined when usable.
 */
export function replyPolicySecretProblem(value: string, key: string): string | undefined {
  try {
    policySigningKey(value);
    return undefined;
  } catch (error) {
    return `${key}: ${(error as Error).message}`;
  }
}

/**
 * The reply rules a stack's configuration sets (inline replyRules or replyRulesFile), read and
 * checked as preview checks them, whatever else the configuration holds: for a caller that
 * wants only the rules (`ops replay` comparing a stack's rules before and after a change).
 */
export function rulesOfStackConfig(
  raw: RawStackConfig,
  root = process.cwd(),
): { ok: true; document: ReplyRuleDocument[] } | { ok: false; problems: string[] } {
  const { namespace, values } = raw;
  const settingsRaw: Record<string, string | undefined> = {};
  for (const [fullKey, value] of Object.entries(values)) {
    const [ns, key] = splitKey(fullKey);
    if (ns === namespace) settingsRaw[key] = value;
  }
  const name = (key: string) => `${namespace}:${key}`;
  const inputs = rulesInputsSchema.safeParse(decodeSettings(settingsRaw));
  if (!inputs.success) {
    return {
      ok: false,
      problems: inputs.error.issues.map(
        (issue) => `${name(String(issue.path[0]))}: ${issue.message}`,
      ),
    };
  }
  const rules = replyRulesOf(inputs.data, name, root);
  return rules.ok ? rules : { ok: false, problems: rules.problems.map((p) => p.text) };
}

/** Config values as Pulumi hands them over, keyed by bare key, decoded (unset keys left out). */
export function decodeSettings(raw: Record<string, string | undefined>): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined) decoded[key] = decodeConfigValue(value);
  }
  return decoded;
}

/** Pulumi passes structured values (lists, numbers, booleans) as JSON text, strings as-is. */
function decodeConfigValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function splitKey(fullKey: string): [string, string] {
  const at = fullKey.indexOf(":");
  return at < 0 ? ["", fullKey] : [fullKey.slice(0, at), fullKey.slice(at + 1)];
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/** True when a relative path leads out of the project root ("../rules.json"). */
function escapesRoot(relative: string): boolean {
  const normalized = path.normalize(relative);
  return normalized === ".." || normalized.startsWith(`..${path.sep}`);
}
