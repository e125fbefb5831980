import * as z from "zod/mini";
import type { ScheduledReply, WebhookJob } from "./messages.js";
import type { NormalizedWebhook } from "./webhook.js";
import { ENGLISH_ISSUES } from "./zodEnglish.js";

/**
 * Validation of the worker queues' message bodies (shapes in messages.ts). A body that fails here
 * can never succeed, so the worker reports it as failed and SQS redrives it to the DLQ.
 */

/** A queue message body that is not the expected shape; the message names the field. */
export class InvalidQueueMessageError extends Error {
  override name = "InvalidQueueMessageError";
}

// zod/mini (the functional API) rather than classic zod: the same checks at ~3% of the bundle size.
const nullableString = z.nullable(z.string());
const nullableNumber = z.nullable(z.number());
const digitsOnly = z.string().check(z.regex(/^\d{1,20}$/, "must be digits only"));
const count = z.number().check(z.int(), z.nonnegative());

const entrySchema = z.looseObject({
  role: z.string(),
  content: z.string(),
  timestamp: z._default(nullableString, null),
  timestampMs: z._default(nullableNumber, null),
  contentType: z._default(nullableString, null),
  mediaUrl: z._default(nullableString, null),
});

// Only the fields the workers read are checked (absent ones default to "unknown"); the rest of
// NormalizedWebhook passes through untouched.
const webhookSchema = z.looseObject({
  phone: digitsOnly,
  userId: z._default(nullableString, null),
  lastMessageOfUser: z._default(nullableString, null),
  lastMessageOfBot: z._default(nullableString, null),
  userLastMessageTimeMs: z._default(nullableNumber, null),
  botLastMessageTimeMs: z._default(nullableNumber, null),
  lastMessages: z._default(z.array(entrySchema), []),
  incomingMessage: z._default(z.nullable(z.boolean()), null),
});

const webhookJobSchema = z.looseObject({
  kind: z.literal("webhook-job"),
  version: z.literal(1),
  key: z.string().check(z.minLength(1)),
  acceptedAt: count,
  webhook: webhookSchema,
});

const scheduledReplySchema = z.looseObject({
  kind: z.literal("scheduled-reply"),
  version: z.literal(1),
  planId: z.string().check(z.minLength(1)),
  seq: count,
  total: z.number().check(z.int(), z.positive()),
  phone: digitsOnly,
  userId: nullableString,
  text: z.string().check(z.minLength(1)),
  attachment: z.optional(z.string()),
  filename: z.optional(z.string()),
  dueAt: count,
});

function parseBody<T>(body: string, schema: z.ZodMiniType, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidQueueMessageError(`${what}: body is not JSON`);
  }
  const result = schema.safeParse(json, ENGLISH_ISSUES);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "body";
    throw new InvalidQueueMessageError(`${what}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return result.data as T;
}

/** Parses a jobs-queue body. @throws InvalidQueueMessageError */
export function parseWebhookJob(body: string): WebhookJob & { webhook: NormalizedWebhook } {
  return parseBody(body, webhookJobSchema, "webhook job");
}

/** Parses a replies-queue body. @throws InvalidQueueMessageError */
export function parseScheduledReply(body: string): ScheduledReply {
  const reply = parseBody<ScheduledReply>(body, scheduledReplySchema, "scheduled reply");
  if (reply.seq >= reply.total) {
    throw new InvalidQueueMessageError(
      `scheduled reply: seq ${reply.seq} is outside a plan of ${reply.total}`,
    );
  }
  return reply;
}
