// Generated from infra/settings.ts by `npm run gen:settings`: do not edit. Change the schema
// and run it again (test/infra/settingsReference.test.ts fails until the file matches).
import type { ReplyRuleDocument } from "../../lambdas/core/ruleDocument.js";

/**
 * The settings of a WhatsAppReplyPipeline: every key of this repository's stack files is an
 * arg of the same name, validated by the same validator (infra/settings.ts), with the same
 * default (docs/operations.md, "Configuration reference").
 */
export interface PipelineSettingArgs {
  /**
   * The live webhook registrations: one, or two during a signing-secret rotation
   * (docs/operations.md#rotate-the-webhook-signing-secret-with-no-rejected-deliveries), with
   * distinct generation numbers. None enabled only for a first deployment (nothing is delivered).
   * Default `[{"generation":1,"enabled":true}]`.
   */
  webhookGenerations?: {
    /**
     * The generation's number; a new number makes a new registration with a new signing secret. A
     * whole number from 1 to 9999.
     */
    generation: number;
    /** Whether the vendor delivers to this registration. Default `true`. */
    enabled?: boolean;
  }[];
  /**
   * On create, take over an existing registration of the same URL (adopt path
   * (docs/operations.md#import-limits-and-the-adopt-path)). Default `false`.
   */
  webhookAdopt?: boolean;
  /**
   * Deliver the customers' messages. Not false together with `webhookOutgoing` (nothing would be
   * delivered). Default `true`.
   */
  webhookIncoming?: boolean;
  /**
   * Deliver the business's own outgoing messages (typed on the phone app or in the inbox): human
   * takeover needs them (docs/vendor.md, "Outgoing webhooks"). Default `true`.
   */
  webhookOutgoing?: boolean;
  /** The vendor's schedule activity (sets the reply window). Default `false`. */
  scheduleActivity?: boolean;
  /**
   * The vendor's waiting window, seconds: with `scheduleActivity`, one of the vendor presets 15,
   * 30, 60, 1800, 3600, 18000, 36000, 86400, 172800, 259200, 432000, 604800, 1209600, 2592000,
   * 5184000; without it, 0. A whole number from 0 to 5184000. Default `0` (required with
   * `scheduleActivity`).
   */
  waitingDurationSeconds?: number;
  /**
   * Ask the vendor to sign deliveries; `false` requires `signatureScheme: "off"`. Default `true`.
   */
  activeSignature?: boolean;
  /**
   * The vendor's webhook management API base URL (https). Default
   * `"https://api.insightssystem.com/api:qh9OQ3OW"`.
   */
  managementBaseUrl?: string;
  /**
   * Authorization prefix of the management API (`""` = the raw token). Published in the
   * `vendorManagement` output for the ops CLI; the VendorWebhook provider reads it, like the token,
   * from the program's config key `managementAuthPrefix` at run time (provider configuration, not
   * resource state). Default `"Bearer "`.
   */
  managementAuthPrefix?: string;
  /** The vendor's send API base URL (https). Default `"https://api.insightssystem.com"`. */
  vendorBaseUrl?: string;
  /** Path of the send API, starting with "/". Default `"/api:-GWQv5aM/send"`. */
  vendorSendPath?: string;
  /** Authorization prefix of the send API (`""` = the raw token). Default `"Bearer "`. */
  vendorAuthPrefix?: string;
  /** Phone format the send API wants. Default `"e164"`. */
  vendorPhoneFormat?: "e164" | "digits";
  /**
   * Timeout of one send call, ms; a batch of sends must fit the sender's timeout
   * (infra/functionSizing.ts). A whole number from 1000 to 10000. Default `8000`.
   */
  vendorTimeoutMs?: number;
  /** How the receiver checks the deliveries' signatures. Default `"auto"`. */
  signatureScheme?: "auto" | "secret" | "hmac-sha256" | "hmac-sha512" | "off";
  /**
   * Inline reply rules (docs/scheduling.md §2): `match` (RE2), conditions, placeholders,
   * `messages: [{text, delay, attachment?, filename?}]`; checked at preview by the responder's own
   * validator, each problem naming the rule and the field; shipped in the responder's bundle (no
   * size limit). Default `[]` (no reply).
   */
  replyRules?: ReplyRuleDocument[];
  /**
   * The same rules as a JSON file in the repository, relative to the project root (where
   * `Pulumi.yaml` is); bundled with the responder. Not together with `replyRules`.
   */
  replyRulesFile?: string;
  /**
   * Your own reply logic over HTTP (docs/scheduling.md §2a): messages no rule matches are POSTed
   * here, signed with `replyPolicySecret`. An absolute `https://` URL (the request carries the
   * customer's conversation across the internet) without credentials, naming a public host: literal
   * IP addresses and loopback, link-local, private or `.internal`/`.local` names are refused at
   * preview (egress (docs/operations.md#the-responders-egress)). The responder needs outbound
   * internet (outside a VPC, Lambda has it).
   */
  replyPolicyUrl?: string;
  /**
   * `true`: `replyPolicyUrl` may name a private endpoint (10/8, 172.16/12, 192.168/16, 100.64/10,
   * fc00::/7, a `.internal`, `.local` or one-label name, a literal IP) reached through a VPC;
   * loopback and link-local stay refused (egress (docs/operations.md#the-responders-egress)).
   * Default `false`.
   */
  replyPolicyPrivateEndpoint?: boolean;
  /**
   * One policy call, ms; a slower answer counts as unavailable and is retried. The responder's
   * timeout leaves room for it (infra/functionSizing.ts). A whole number from 500 to 10000. Default
   * `5000`.
   */
  replyPolicyTimeoutMs?: number;
  /** Longest single SQS delay hop, seconds. A whole number from 1 to 900. Default `900`. */
  maxSqsDelaySeconds?: number;
  /**
   * Human takeover: automation pauses this long for a contact after a person at the business writes
   * to them (phone app, inbox), seconds; 0 turns takeover off (docs/scheduling.md §6). A whole
   * number from 0 to 5184000. Default `3600`.
   */
  humanPauseSeconds?: number;
  /**
   * Languages the contacts write in: their default stop / start words join English's. Default
   * `["en"]`.
   */
  languages?: ("en" | "es" | "pt" | "fr" | "de")[];
  /**
   * Replace the default stop (opt-out) words: a message that is the word as a whole, case, accents
   * and punctuation aside. Default per `languages`.
   */
  stopWords?: string[];
  /**
   * Replace the default start (opt-in) words, matched as the stop words are. Default per
   * `languages`.
   */
  startWords?: string[];
  /** The one confirmation after a stop word (`""` sends none). Default per the first language. */
  optOutConfirmation?: string;
  /**
   * Lambda log level. The receiver's `webhook` request lines are written at any level (with a
   * function URL the alarms count them). Default `"INFO"`.
   */
  logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /**
   * Retention of every log group, days. One of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400,
   * 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653. Default `30`.
   */
  logRetentionDays?: number;
  /**
   * The webhook's public entrance (ingress (docs/operations.md#ingress-function-url-or-http-api)):
   * `httpApi`, an API Gateway HTTP API (the webhook as the product specifies it, stage throttling,
   * an access log at the edge, a custom domain, no public Lambda resource policy), or
   * `functionUrl`, a Lambda function URL (the cost option: $1.00 per million requests less). Each
   * has its own throttle keys. Changing it changes the registered URL (switching
   * (docs/operations.md#switching-an-existing-stack)). Default `"httpApi"`.
   */
  ingress?: "functionUrl" | "httpApi";
  /**
   * `httpApi` only: the stage's steady requests per second (throttling
   * (docs/operations.md#throttling)). Set with `ingress: "functionUrl"`, the program stops naming
   * the key. A whole number from 1 to 10000. Default `50`.
   */
  throttleRateLimit?: number;
  /**
   * `httpApi` only: the stage's burst above the steady rate. Set with `ingress: "functionUrl"`, the
   * program stops naming the key. A whole number from 1 to 5000. Default `100`.
   */
  throttleBurstLimit?: number;
  /**
   * `functionUrl` only: concurrency reserved for the receiver, its throttle (beyond it Lambda
   * answers 429 and the vendor retries; throttling (docs/operations.md#throttling)). The account
   * must keep 100 unreserved, so a new account (quota 10) can reserve none, and the maximum is for
   * the default quota (`npm run ops -- preflight` checks the account's). Set with
   * `ingress: "httpApi"`, the program stops naming the key. A whole number from 1 to 900. Default
   * none.
   */
  receiverReservedConcurrency?: number;
  /**
   * Most sender Lambdas at once: protects the vendor's rate limit (50 messages a minute). A whole
   * number from 2 to 1000. Default `2`.
   */
  senderMaxConcurrency?: number;
  /**
   * Receives of a job or reply before it moves to its dead-letter queue; also the sender's attempts
   * at one reply. A whole number from 1 to 1000. Default `5`.
   */
  maxReceiveCount?: number;
  /**
   * Largest accepted webhook body, bytes (255 KiB at most): the job that carries a body to the
   * responder must fit one SQS message (infra/awsLimits.ts). A whole number from 1024 to 261120.
   * Default `261120`.
   */
  maxBodyBytes?: number;
  /**
   * How long a warm Lambda keeps a secret, seconds (0 = reads it on every call). A whole number
   * from 0 to 3600. Default `300`.
   */
  secretCacheSeconds?: number;
  /**
   * Production: Pulumi `protect` and `retainOnDelete` on the tables and secrets, DynamoDB deletion
   * protection, a 30-day secret recovery window; requires an alarm destination and refuses
   * placeholders (example domains, fictional numbers). Default `false`.
   */
  protect?: boolean;
  /**
   * An email address subscribed to the alarm topic (confirm the mail once). A protected stack needs
   * this or `alarmTopicArns`, and refuses an address under a domain reserved for examples
   * (`example.com`, `.net`, `.org`, `.example`, `.test`, `.invalid`, `.localhost`; RFC 2606 /
   * 6761).
   */
  alarmEmail?: string;
  /**
   * Existing SNS topics (PagerDuty, Slack via AWS Chatbot, a team topic) that get every alarm and
   * OK too; an encrypted one must let `cloudwatch.amazonaws.com` use its key. Default `[]`.
   */
  alarmTopicArns?: string[];
  /**
   * Thresholds of the log-based alarms (docs/operations.md#alarm-runbook) on what breaks silently;
   * each field left out has its default. Default
   * `{"unauthorizedPer5Minutes":3,"badRequestsPer5Minutes":10,"vendorRefusalsPer15Minutes":3,"quietHours":0}`.
   */
  alarmThresholds?: {
    /**
     * 401 answers in 5 minutes: the signing secret no longer matches the vendor's. A whole number
     * from 1 to 100000. Default `3`.
     */
    unauthorizedPer5Minutes?: number;
    /**
     * 400 answers in 5 minutes: the vendor's payload changed, or a caller is broken. A whole number
     * from 1 to 100000. Default `10`.
     */
    badRequestsPer5Minutes?: number;
    /**
     * Replies the vendor refused (invalid number, message limit) in 15 minutes. A whole number from
     * 1 to 100000. Default `3`.
     */
    vendorRefusalsPer15Minutes?: number;
    /**
     * Hours without one accepted delivery before the quiet alarm fires; 0 = no such alarm. A whole
     * number from 0 to 24. Default `0`.
     */
    quietHours?: number;
  };
  /**
   * Who may get replies: `"any"`, or a list of E.164 numbers (`"+12025550101"`); everyone else gets
   * none (why (docs/operations.md#one-vendor-account-or-number-per-stack)). A protected stack
   * refuses the fictional 555-0100 to 555-0199 numbers (placeholders). Default `"any"` when
   * protected, else `[]` (nobody).
   */
  replyContacts?: "any" | string[];
  /**
   * Also create a CloudWatch dashboard of the alarms' metrics, named
   * `<project>-<namePrefix><stack>`. Default `false`.
   */
  dashboard?: boolean;
}
