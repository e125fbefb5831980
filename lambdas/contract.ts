/**
 * The contract between the Pulumi program, the Lambda code and the local stack.
 *
 * This file imports nothing: infra/ may import it (and only it) from lambdas/, so every
 * name that crosses that boundary (env vars, function names, table keys, message shapes)
 * is declared here once.
 */

/** Environment variables the Lambdas read; infra sets exactly these. */
export const ENV = {
  /** DynamoDB table holding one claim per webhook delivery (idempotency). */
  idempotencyTable: "IDEMPOTENCY_TABLE",
  /** DynamoDB table holding every message of every conversation. */
  conversationTable: "CONVERSATION_TABLE",
  /** DynamoDB table holding one sent-marker per scheduled reply. */
  sentMarkerTable: "SENT_MARKER_TABLE",
  /** SQS queue: receiver → responder (one job per accepted webhook). */
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
  /** How long a completed idempotency claim is remembered, in seconds. */
  idempotencyTtlSeconds: "IDEMPOTENCY_TTL_SECONDS",
  /** How long an in-progress claim blocks a retry before it is considered abandoned, in seconds. */
  inProgressTtlSeconds: "IN_PROGRESS_TTL_SECONDS",
  /** How long secrets are cached in a warm Lambda, in seconds. */
  secretCacheSeconds: "SECRET_CACHE_SECONDS",
  /** Reply rules as JSON (ReplyRule[]). */
  replyRules: "REPLY_RULES",
  /** Who may get replies: "*" (anyone), "none", or comma-separated numbers in digits. */
  replyContacts: "REPLY_CONTACTS",
  /** The webhook's waiting_duration in seconds: no reply may be scheduled later than this. */
  waitingDurationSeconds: "WAITING_DURATION_SECONDS",
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
   * Send attempts per reply before it is given up on (marker GAVE_UP) and left to the DLQ.
   * Set it equal to the replies queue's maxReceiveCount.
   */
  maxSendAttempts: "MAX_SEND_ATTEMPTS",
  /** Powertools log level. */
  logLevel: "POWERTOOLS_LOG_LEVEL",
  /** Powertools service name. */
  serviceName: "POWERTOOLS_SERVICE_NAME",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Defaults shared by infra, the Lambdas and the local stack. */
export const DEFAULTS = {
  signatureScheme: "auto",
  maxBodyBytes: 256 * 1024,
  /** 72 h: longer than any retry horizon a webhook vendor is known to use. */
  idempotencyTtlSeconds: 72 * 3600,
  /** Longer than the receiver's timeout, so a live delivery is never treated as abandoned. */
  inProgressTtlSeconds: 30,
  /** One GetSecretValue per warm environment per 5 minutes (cost, see research/pipeline.md). */
  secretCacheSeconds: 300,
  maxSqsDelaySeconds: 900,
  vendorSendPath: "/api:-GWQv5aM/send",
  vendorAuthPrefix: "Bearer ",
  vendorPhoneFormat: "e164",
  vendorTimeoutMs: 8000,
  /** Equal to the default maxReceiveCount of the worker queues (research/pipeline.md target 10). */
  maxSendAttempts: 5,
  /** Sent markers and conversation items outlive the vendor's 60-day schedule window. */
  sentMarkerTtlSeconds: 90 * 24 * 3600,
} as const;

/** The three Lambda functions; each name is also its bundle folder: dist/<name>/index.mjs. */
export const FUNCTIONS = {
  receiver: "receiver",
  responder: "responder",
  sender: "sender",
} as const;

export type FunctionName = (typeof FUNCTIONS)[keyof typeof FUNCTIONS];

/** Which env vars each function needs; infra sets these and nothing else. */
export const FUNCTION_ENV: Record<FunctionName, readonly EnvName[]> = {
  receiver: [
    ENV.idempotencyTable,
    ENV.jobsQueueUrl,
    ENV.signingSecretId,
    ENV.signatureScheme,
    ENV.maxBodyBytes,
    ENV.idempotencyTtlSeconds,
    ENV.inProgressTtlSeconds,
    ENV.secretCacheSeconds,
    ENV.logLevel,
    ENV.serviceName,
  ],
  responder: [
    ENV.conversationTable,
    ENV.repliesQueueUrl,
    ENV.replyRules,
    ENV.replyContacts,
    ENV.waitingDurationSeconds,
    ENV.maxSqsDelaySeconds,
    ENV.logLevel,
    ENV.serviceName,
  ],
  sender: [
    ENV.conversationTable,
    ENV.sentMarkerTable,
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
  /** pk = derived idempotency key. */
  idempotency: { partitionKey: "pk", ttlAttribute: "expiresAt" },
  /**
   * pk = "PHONE#<digits>", sk = "MSG#<iso time>#<role>#<content hash>".
   * GSI byUser: gsi1pk = "USER#<user_id>", gsi1sk = sk, to read one vendor user's history over time.
   */
  conversation: {
    partitionKey: "pk",
    sortKey: "sk",
    ttlAttribute: "expiresAt",
    globalSecondaryIndexes: [{ name: "byUser", partitionKey: "gsi1pk", sortKey: "gsi1sk" }],
  },
  /** pk = "<planId>#<seq>". */
  sentMarkers: { partitionKey: "pk", ttlAttribute: "expiresAt" },
} as const satisfies Record<string, TableSchema>;

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
