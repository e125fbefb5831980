/**
 * The contract between the Pulumi program, the Lambda code and the local stack.
 *
 * This file imports nothing: infra/ may import it from lambdas/, so every name that crosses
 * that boundary (env vars, function names, table keys, message shapes) is declared here once.
 * The other modules infra imports are validators (pure): the reply rules' (core/replyRules.ts) and
 * the reply policy secret's (core/replyPolicy.ts policySigningKey), so that `pulumi preview`
 * refuses exactly what the responder would.
 */

/** Environment variables the Lambdas read; infra sets exactly these. */
export const ENV = {
  /**
   * DynamoDB table of the conversations: per contact its state, its messages, its reply plans
   * and its replies (with their send state). See TABLES.conversation.
   */
  conversationTable: "CONVERSATION_TABLE",
  /**
   * SQS FIFO queue: receiver → responder (one job per accepted webhook). Deduplication id = the
   * message key, group = the contact: see JOBS_QUEUE.
   */
  jobsQueueUrl: "JOBS_QUEUE_URL",
  /** SQS queue: responder → sender (one message per scheduled reply, delayed). */
  repliesQueueUrl: "REPLIES_QUEUE_URL",
  /** Secrets Manager ARN/name of the webhook signing secret(s); see SigningSecretDocument. */
  signingSecretId: "SIGNING_SECRET_ID",
  /** Secrets Manager ARN/name of the vendor API token (plain string). */
  vendorTokenSecretId: "VENDOR_TOKEN_SECRET_ID",
  /** Signature scheme: auto | secret | hmac-sha256 | hmac-sha512 | off. */
  signatureScheme: "SIGNATURE_SCHEME",
  /** Largest accepted request body in bytes. */
  maxBodyBytes: "MAX_BODY_BYTES",
  /** How long secrets are cached in a warm Lambda, in seconds. */
  secretCacheSeconds: "SECRET_CACHE_SECONDS",
  /**
   * Reply rules as inline JSON (lambdas/core/replyRules.ts), for the local stack and tests.
   * Deployed stacks ship the rules as a file in the responder's bundle instead (next name), so
   * their size is not bound by Lambda's 4 KB environment; infra never sets this one.
   */
  replyRules: "REPLY_RULES",
  /**
   * Path of a reply-rules JSON file; a relative path is read from the responder's own directory
   * (in Lambda: beside index.mjs, where infra puts RULES_BUNDLE_FILE).
   */
  replyRulesFile: "REPLY_RULES_FILE",
  /** Who may get replies: "*" (anyone), "none", or comma-separated numbers in digits. */
  replyContacts: "REPLY_CONTACTS",
  /** The webhook's waiting_duration in seconds: no reply may be scheduled later than this. */
  waitingDurationSeconds: "WAITING_DURATION_SECONDS",
  /** Human takeover: seconds automation stays paused after a person at the business writes; 0 = off. */
  humanPauseSeconds: "HUMAN_PAUSE_SECONDS",
  /**
   * Opt-out vocabulary as JSON {@link OptOutConfig}: the declared languages (their default words
   * join English's) and optional replacements; unset = English only.
   */
  optOut: "OPT_OUT",
  /**
   * Far replies (docs/scheduling.md §3a): the stack's EventBridge Scheduler schedule group, where
   * the responder makes one one-time schedule per reply further than one SQS hop away. With the
   * next three; all four or none (none: far replies are chained through the replies queue).
   */
  replyScheduleGroup: "REPLY_SCHEDULE_GROUP",
  /** The role the scheduler assumes to send a reply to the replies queue (that queue only). */
  replySchedulerRoleArn: "REPLY_SCHEDULER_ROLE_ARN",
  /** The replies queue's ARN: the schedules' target. */
  repliesQueueArn: "REPLIES_QUEUE_ARN",
  /** The scheduler's DLQ (SQS): a reply the scheduler could not deliver, alarmed. */
  replyScheduleDeadLetterArn: "REPLY_SCHEDULE_DLQ_ARN",
  /** Longest single SQS delay hop in seconds (AWS caps DelaySeconds at 900). */
  maxSqsDelaySeconds: "MAX_SQS_DELAY_SECONDS",
  /** Vendor API base URL, e.g. https://api.insightssystem.com */
  vendorBaseUrl: "VENDOR_BASE_URL",
  /** Path of the vendor send API, e.g. /api:-GWQv5aM/send */
  vendorSendPath: "VENDOR_SEND_PATH",
  /** Authorization header prefix for the vendor token, e.g. "Bearer " or "" (raw). */
  vendorAuthPrefix: "VENDOR_AUTH_PREFIX",
  /** Phone format the send API wants: e164 (+digits) | digits. */
  vendorPhoneFormat: "VENDOR_PHONE_FORMAT",
  /** Timeout of one vendor HTTP call in milliseconds. */
  vendorTimeoutMs: "VENDOR_TIMEOUT_MS",
  /**
   * Send attempts per reply before it is given up on (reply item GAVE_UP) and left to the DLQ.
   * Set it equal to the replies queue's maxReceiveCount.
   */
  maxSendAttempts: "MAX_SEND_ATTEMPTS",
  /**
   * The jobs queue's DLQ (responder): a job that can never succeed (unreadable, an unschedulable
   * plan, an invalid policy answer, the policy unavailable on its last attempt) goes there at once,
   * so its contact's later jobs are not held back with it, and the DLQ alarm and
   * `npm run ops -- redrive jobs` find it.
   */
  jobsDeadLetterQueueUrl: "JOBS_DLQ_URL",
  /** Powertools log level. */
  logLevel: "POWERTOOLS_LOG_LEVEL",
  /** Powertools service name. */
  serviceName: "POWERTOOLS_SERVICE_NAME",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The names a deployed function may get: every ENV name but the local-only inline rules. */
export type DeployedEnvName = Exclude<EnvName, typeof ENV.replyRules>;

/** Name of the reply-rules file infra puts in the responder's archive, beside index.mjs. */
export const RULES_BUNDLE_FILE = "rules.json";

/**
 * The HTTP reply policy (optional; a stack without `replyPolicyUrl` sets none of these): env
 * names, and the secret. The secret is a Standard Webhooks key `whsec_<base64>` stored as a plain
 * SecretString in its own Secrets Manager secret, beside the webhook signing secret, and the
 * responder gets only its ARN.
 */
export const REPLY_POLICY_ENV = {
  /** The policy endpoint, https:// (http:// only on loopback, for the local stack). */
  url: "REPLY_POLICY_URL",
  /** Secrets Manager ARN/name of the policy's signing secret. */
  secretId: "REPLY_POLICY_SECRET_ID",
  /** Timeout of one policy call in milliseconds. */
  timeoutMs: "REPLY_POLICY_TIMEOUT_MS",
  /**
   * Attempts per job while the policy is unavailable (timeouts, 5xx): the jobs queue's
   * maxReceiveCount, so the responder's last attempt knows it is the last and says so in its log.
   */
  maxAttempts: "REPLY_POLICY_MAX_ATTEMPTS",
} as const;

export type ReplyPolicyEnvName = (typeof REPLY_POLICY_ENV)[keyof typeof REPLY_POLICY_ENV];

/**
 * The env the responder gets only when the stack has an HTTP reply policy (all of it, or none):
 * the policy's settings, and the jobs queue for the responder's own backoff while the policy is
 * unavailable (ChangeMessageVisibility).
 */
export const REPLY_POLICY_FUNCTION_ENV: readonly (ReplyPolicyEnvName | "JOBS_QUEUE_URL")[] = [
  ...Object.values(REPLY_POLICY_ENV),
  "JOBS_QUEUE_URL",
];

/** Defaults shared by infra, the Lambdas and the local stack. */
export const DEFAULTS = {
  signatureScheme: "auto",
  maxBodyBytes: 256 * 1024,
  /** One GetSecretValue per warm environment per 5 minutes (cost: docs/benchmarks.md, section 3). */
  secretCacheSeconds: 300,
  maxSqsDelaySeconds: 900,
  vendorSendPath: "/api:-GWQv5aM/send",
  vendorAuthPrefix: "Bearer ",
  vendorPhoneFormat: "e164",
  vendorTimeoutMs: 8000,
  /** Equal to the default maxReceiveCount of the worker queues. */
  maxSendAttempts: 5,
  /** A policy answers while the job waits; well inside the responder's timeout. */
  replyPolicyTimeoutMs: 5000,
  /**
   * MSG items (with their plans) and REPLY items outlive the vendor's 60-day schedule window.
   * CONTACT items have no TTL: an opt-out must outlive every window.
   */
  replyItemTtlSeconds: 90 * 24 * 3600,
  /** Human takeover pause: one hour. */
  humanPauseSeconds: 3600,
} as const;

/**
 * Default opt-out (stop) and opt-in (start) words, and the one confirmation, per language a stack
 * declares (config `languages`; English is always in). A message is a stop word only when it is
 * one as a whole (case, accents and punctuation aside): "stop" opts out, "stop the delivery" does
 * not. CANCEL, END and QUIT (SMS carrier words) are left out on purpose: in a conversation with a
 * business, "cancel" alone usually means an order. A stack adds them with `stopWords`.
 */
export const OPT_OUT_LANGUAGES = {
  en: {
    stop: ["STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "OPT OUT", "OPTOUT"],
    start: ["START", "UNSTOP", "SUBSCRIBE", "RESUME", "OPT IN", "OPTIN"],
    confirmation: "You will not get automated messages from us any more. Reply START to resume.",
  },
  es: {
    stop: ["PARAR", "BAJA", "DARSE DE BAJA", "ALTO", "DETENER"],
    start: ["ALTA", "INICIAR", "REANUDAR", "COMENZAR"],
    confirmation: "Ya no recibirás mensajes automáticos. Responde ALTA para volver a recibirlos.",
  },
  pt: {
    stop: ["PARAR", "SAIR", "DESCADASTRAR", "CANCELAR INSCRICAO"],
    start: ["VOLTAR", "INICIAR", "RETOMAR"],
    confirmation: "Você não receberá mais mensagens automáticas. Responda VOLTAR para retomar.",
  },
  fr: {
    stop: ["ARRET", "ARRETER", "DESABONNER", "DESINSCRIRE"],
    start: ["DEMARRER", "REPRENDRE", "ABONNER"],
    confirmation:
      "Vous ne recevrez plus de messages automatiques. Répondez DEMARRER pour les reprendre.",
  },
  de: {
    stop: ["STOPP", "ABMELDEN", "ABBESTELLEN"],
    start: ["ANMELDEN", "FORTSETZEN"],
    confirmation: "Sie erhalten keine automatischen Nachrichten mehr. Antworten Sie START.",
  },
} as const;

export type OptOutLanguage = keyof typeof OPT_OUT_LANGUAGES;

/** The OPT_OUT env value (stack config keys `languages`, `stopWords`, `startWords`, `optOutConfirmation`). */
export interface OptOutConfig {
  languages: string[];
  stopWords?: string[];
  startWords?: string[];
  /** "" sends no confirmation. */
  confirmation?: string;
}

/** The three Lambda functions; each name is also its bundle folder: dist/<name>/index.mjs. */
export const FUNCTIONS = {
  receiver: "receiver",
  responder: "responder",
  sender: "sender",
} as const;

export type FunctionName = (typeof FUNCTIONS)[keyof typeof FUNCTIONS];

/** Which env vars each function needs; infra sets these and nothing else. */
export const FUNCTION_ENV: Record<FunctionName, readonly DeployedEnvName[]> = {
  receiver: [
    ENV.jobsQueueUrl,
    ENV.signingSecretId,
    ENV.signatureScheme,
    ENV.maxBodyBytes,
    ENV.secretCacheSeconds,
    ENV.logLevel,
    ENV.serviceName,
  ],
  responder: [
    ENV.conversationTable,
    ENV.repliesQueueUrl,
    ENV.replyRulesFile,
    ENV.replyContacts,
    ENV.waitingDurationSeconds,
    ENV.humanPauseSeconds,
    ENV.optOut,
    ENV.maxSqsDelaySeconds,
    ENV.replyScheduleGroup,
    ENV.replySchedulerRoleArn,
    ENV.repliesQueueArn,
    ENV.replyScheduleDeadLetterArn,
    ENV.jobsDeadLetterQueueUrl,
    ENV.logLevel,
    ENV.serviceName,
  ],
  sender: [
    ENV.conversationTable,
    ENV.repliesQueueUrl,
    ENV.vendorTokenSecretId,
    ENV.vendorBaseUrl,
    ENV.vendorSendPath,
    ENV.vendorAuthPrefix,
    ENV.vendorPhoneFormat,
    ENV.vendorTimeoutMs,
    ENV.maxSendAttempts,
    ENV.maxSqsDelaySeconds,
    ENV.secretCacheSeconds,
    ENV.logLevel,
    ENV.serviceName,
  ],
};

/** A DynamoDB table's key schema, shared by infra and the local stack (all keys are strings). */
export interface TableSchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Epoch-seconds attribute DynamoDB TTL deletes on. */
  readonly ttlAttribute?: string;
  readonly globalSecondaryIndexes?: readonly {
    readonly name: string;
    readonly partitionKey: string;
    readonly sortKey?: string;
  }[];
}

export const TABLES = {
  /**
   * One partition per contact, pk = "PHONE#<digits>" (model: lambdas/core/conversation.ts):
   * sk = "CONTACT" (state; no TTL), "MSG#<ISO time>#<role>#<key>" (a webhook's message, with the
   * reply plan it got), "REPLY#<planId>#<seq>" (a reply: send state + text).
   * No index: nothing reads one (a GSI would double the WRU of every MSG item).
   */
  conversation: { partitionKey: "pk", sortKey: "sk", ttlAttribute: "expiresAt" },
} as const satisfies Record<string, TableSchema>;

/** The env names of far replies' schedules (ENV.replySchedule*): set together, or none. */
export const REPLY_SCHEDULER_ENV = [
  ENV.replyScheduleGroup,
  ENV.replySchedulerRoleArn,
  ENV.repliesQueueArn,
  ENV.replyScheduleDeadLetterArn,
] as const;

/**
 * The jobs queue is SQS FIFO; its DLQ too (SQS requires a FIFO queue's DLQ to be FIFO). Both names
 * end in ".fifo" (SQS requires it). The receiver's one call is SendMessage with
 * MessageDeduplicationId = the message key (SQS drops a repeat within its 5-minute deduplication
 * window and answers as if it were accepted) and MessageGroupId = the contact's digits (SQS hands
 * out a group's messages in order, one in flight at a time). Content-based deduplication is off:
 * the key, not the body, says what a repeat is (a redelivery's job body differs: acceptedAt).
 */
export const JOBS_QUEUE = {
  fifoSuffix: ".fifo",
  /** SQS's deduplication window; not configurable. */
  deduplicationWindowSeconds: 300,
} as const;

/**
 * The signing secret as stored in Secrets Manager: JSON with the current secret and, during a
 * rotation, the previous ones. A plain (non-JSON) SecretString is read as a single current secret.
 */
export interface SigningSecretDocument {
  current: string;
  previous?: string[];
}

/** Header the vendor puts the signature in (API Gateway lower-cases header names). */
export const SIGNATURE_HEADER = "x-webhook-signature";

/** The one route the receiver serves. */
export const WEBHOOK_ROUTE = { method: "POST", path: "/webhooks/whatsapp" } as const;

/**
 * The webhook's public entrances (infra WebhookIngress, the local stack's stand-in): an API Gateway
 * HTTP API (the default, as the product specifies the webhook) or a Lambda function URL (the cost
 * option). Both hand the receiver payload-2.0 events.
 */
export const INGRESS_KINDS = ["functionUrl", "httpApi"] as const;
export type IngressKind = (typeof INGRESS_KINDS)[number];
/** The entrance a stack (and `npm start`) gets unless it says otherwise. */
export const DEFAULT_INGRESS: IngressKind = "httpApi";

/**
 * The message of the receiver's one log line per answered request, which carries the HTTP
 * `status` (a number) and the `outcome`. Behind a function URL it is the request log: the alarms'
 * metric filters count it by status (infra PipelineAlarms).
 */
export const RECEIVER_REQUEST_LOG = { message: "webhook" } as const;
