// The locales entry, not "zod/v4/locales/en.js": that path is zod's ES module under `require` too,
// which the package's CommonJS build (dist/cjs) cannot load on Node before require(esm).
import { en } from "zod/locales";
import * as z from "zod/mini";
import { InvalidQueueMessageError } from "./errors.js";

/**
 * The messages that travel between the functions, each type derived from the schema that checks
 * it, so the queue bodies and the TypeScript types cannot drift apart:
 *
 *   receiver ──WebhookJob (carries a NormalizedWebhook)──▶ jobs queue ──▶ responder
 *   responder ──ScheduledReply──▶ replies queue ──▶ sender
 *
 * A body that fails its schema can never succeed, so the worker reports it as failed and SQS
 * redrives it to the DLQ.
 */

/**
 * Parse options that give zod/mini's issues the English messages classic zod gives by default
 * ("Invalid input: expected string, received number"). zod/mini loads no locale (its issues read
 * only "Invalid input"); passing the map per parse, rather than `z.config(...)`, keeps this module
 * free of global side effects. Use: `schema.safeParse(value, ENGLISH_ISSUES)`.
 */
export const ENGLISH_ISSUES = { error: en().localeError } as const;

// zod/mini (the functional API) rather than classic zod: the same checks at ~3% of the bundle size.
const nullableString = z._default(z.nullable(z.string()), null);
const nullableNumber = z._default(z.nullable(z.number()), null);
const nullableBoolean = z._default(z.nullable(z.boolean()), null);
const digitsOnly = z.string().check(z.regex(/^\d{1,20}$/, "must be digits only"));
const count = z.number().check(z.int(), z.nonnegative());

/** One entry of `last_messages`. */
const conversationEntrySchema = z.object({
  /** "user" (the customer) or "bot" (the business); unknown values are kept as-is. */
  role: z.string(),
  /** Text content; "" for media without caption. */
  content: z.string(),
  /** ISO-8601 time as sent; null when absent or unparseable. */
  timestamp: nullableString,
  /** Epoch milliseconds of `timestamp`; null when absent or unparseable. */
  timestampMs: nullableNumber,
  contentType: nullableString,
  mediaUrl: nullableString,
});
export type ConversationEntry = z.output<typeof conversationEntrySchema>;

/**
 * The vendor webhook after tolerant parsing (core/parseWebhook.ts): one shape for every payload
 * variant (docs/vendor.md, "Payload variants"), consumed by every worker. Every field but `phone`
 * defaults to "unknown" when a job leaves it out.
 */
const normalizedWebhookSchema = z.object({
  /** Contact's number, digits only (no "+", no spaces); never parsed as a float. */
  phone: digitsOnly,
  /** Vendor user/contact UUID; null when absent. */
  userId: nullableString,
  recipientName: nullableString,
  lastMessageOfUser: nullableString,
  lastMessageOfBot: nullableString,
  messageType: nullableString,
  /** Epoch milliseconds (seconds are converted); null when absent or 0. */
  userLastMessageTimeMs: nullableNumber,
  botLastMessageTimeMs: nullableNumber,
  /** Conversation history, sorted oldest first; [] when absent or unparseable. */
  lastMessages: z._default(z.array(conversationEntrySchema), []),
  conversationParagraph: nullableString,
  attachmentUrl: nullableString,
  note: nullableString,
  noteAutomation: nullableString,
  labels: z._default(z.array(z.string()), []),
  /** true contact→business, false business→contact, null when the payload does not say. */
  incomingMessage: nullableBoolean,
  sendBy: nullableString,
  wasMessageByHuman: nullableBoolean,
  referral: z._default(z.nullable(z.record(z.string(), z.unknown())), null),
  /** Fields this version does not know, kept verbatim (never fatal). */
  extra: z._default(z.record(z.string(), z.unknown()), {}),
  /**
   * Informational fields of an unexpected type, by name ("referral must be an object"): their raw
   * values are kept in `extra`, the field itself reads as absent, the responder logs a warning.
   */
  warnings: z._default(z.array(z.string()), []),
});
export type NormalizedWebhook = z.output<typeof normalizedWebhookSchema>;

/** Receiver → responder: one per accepted (non-duplicate) webhook delivery. */
const webhookJobSchema = z.object({
  kind: z.literal("webhook-job"),
  version: z.literal(1),
  /** The derived idempotency key of the delivery. */
  key: z.string().check(z.minLength(1)),
  /** Epoch ms when the receiver accepted the delivery; reply delays are offsets from here. */
  acceptedAt: count,
  webhook: normalizedWebhookSchema,
});
export type WebhookJob = z.output<typeof webhookJobSchema>;

/** Responder → sender: one per reply message, delivered at (or hopped towards) dueAt. */
const scheduledReplySchema = z.object({
  kind: z.literal("scheduled-reply"),
  version: z.literal(1),
  /** Stable id of the reply plan (derived from the job key, so a redelivered job yields the same plan). */
  planId: z.string().check(z.minLength(1)),
  /** 0-based position in the plan; messages go out in seq order. */
  seq: count,
  /** Number of messages in the plan. */
  total: z.number().check(z.int(), z.positive()),
  /** Digits-only phone number of the contact. */
  phone: digitsOnly,
  userId: z.nullable(z.string()),
  text: z.string().check(z.minLength(1)),
  attachment: z.optional(z.string()),
  filename: z.optional(z.string()),
  /** Epoch ms when the message is due. */
  dueAt: count,
  /**
   * Time (ms) of the customer message the plan answers (core/conversation.ts replyVerdict: a human
   * takeover or stop word after it cancels the reply). Absent in replies queued before the contact model (docs/scheduling.md §6).
   */
  planAt: z.optional(count),
  /** The rule's `onNewMessage: "keep"`: a newer customer message does not cancel this reply. */
  keep: z.optional(z.boolean()),
});
export type ScheduledReply = z.output<typeof scheduledReplySchema>;

function parseBody<S extends z.ZodMiniType>(body: string, schema: S, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidQueueMessageError(`${what}: body is not JSON`, { cause: error });
  }
  const result = schema.safeParse(json, ENGLISH_ISSUES);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "body";
    throw new InvalidQueueMessageError(`${what}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return result.data;
}

/** Parses a jobs-queue body. @throws InvalidQueueMessageError */
export function parseWebhookJob(body: string): WebhookJob {
  return parseBody(body, webhookJobSchema, "webhook job");
}

/**
 * A webhook that says only what is known of it: every other field reads "unknown", the schema's
 * own defaults (what a job that leaves them out parses to). For webhooks rebuilt from the
 * conversation log (`ops replay`) and for tests; the phone is taken as given, not checked.
 */
export function webhookFrom(
  known: Pick<NormalizedWebhook, "phone"> & Partial<NormalizedWebhook>,
): NormalizedWebhook {
  // Built per call, not at load: no Lambda uses it, so none pays for it at cold start.
  const unknown = z.omit(normalizedWebhookSchema, { phone: true }).parse({});
  return { ...unknown, ...known };
}

/** Parses a replies-queue body. @throws InvalidQueueMessageError */
export function parseScheduledReply(body: string): ScheduledReply {
  const reply = parseBody(body, scheduledReplySchema, "scheduled reply");
  if (reply.seq >= reply.total) {
    throw new InvalidQueueMessageError(
      `scheduled reply: seq ${reply.seq} is outside a plan of ${reply.total}`,
    );
  }
  return reply;
}

/** SQS's largest message body, in bytes (1 MiB; the queues are created with this maximum). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/**
 * A queue message body as it goes to SQS: JSON, with the characters SQS refuses (U+FFFE/U+FFFF,
 * and in fauxqs every astral character, emoji included) as \u escapes, which parse back to the
 * same text.
 */
export function encodeQueueMessage(body: unknown): string {
  return JSON.stringify(body).replace(
    /[\ud800-\udfff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}
